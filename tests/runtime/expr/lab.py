"""A laboratory for expressions on a real database: a published app, records written through the write path,
and one expression evaluated both ways — in Python over the loaded record and as SQL over the table."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from builder import lifecycle
from engines.expr import EvalContext, compile_expression
from engines.form.fields.base import Context
from runtime.db import create_engine
from runtime.expressions import SchemaTables, record_envs, scope_of
from runtime.tables import SchemaCache
from runtime.write import RecordWriter

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)  # 10:30 in Shanghai


@dataclass
class Lab:
    engine: object
    app_key: str
    ctx: EvalContext

    @classmethod
    async def open(cls, database_url: str, app: dict, now: datetime = NOW, user_id: int | None = 7) -> "Lab":
        engine = create_engine(database_url)
        async with engine.begin() as conn:
            await lifecycle.import_app(conn, app, Context(tz=SHANGHAI), None)
        return cls(engine, app["key"], EvalContext(now=now, tz=SHANGHAI, user_id=user_id))

    async def close(self) -> None:
        await self.engine.dispose()

    async def schema(self, conn):
        return await SchemaCache().get(conn, self.app_key)

    async def insert(self, form: str, *records: dict) -> list[int]:
        async with self.engine.begin() as conn:
            schema = await self.schema(conn)
            return await RecordWriter(conn, schema, Context(tz=SHANGHAI), None).create_many(form, list(records))

    async def both(self, form: str, text: str, ids: list[int] | None = None) -> list[tuple[object, object]]:
        """[(python value, sql value)] for each record of the form (or the ids given), in id order."""
        async with self.engine.connect() as conn:
            schema = await self.schema(conn)
            compiled = compile_expression(text, scope_of(schema, form))
            table = schema.forms[form].table
            column = compiled.sql(SchemaTables(schema), self.ctx, conn.dialect.name, form, typed=True)
            query = select(table.c.id, column.label("value")).order_by(table.c.id)
            if ids is not None:
                query = query.where(table.c.id.in_(ids))
            sql_rows = (await conn.execute(query)).all()
            envs = await record_envs(conn, schema, form, [r.id for r in sql_rows], compiled.paths)
        return [(compiled.evaluate(envs[r.id], self.ctx), r.value) for r in sql_rows]

    async def where(self, form: str, text: str) -> tuple[list[int], list[int]]:
        """(ids the Python back end keeps, ids the SQL WHERE keeps) for a condition."""
        async with self.engine.connect() as conn:
            schema = await self.schema(conn)
            compiled = compile_expression(text, scope_of(schema, form), expect="bool")
            table = schema.forms[form].table
            condition = compiled.sql(SchemaTables(schema), self.ctx, conn.dialect.name, form, condition=True)
            sql_ids = list((await conn.execute(select(table.c.id).where(condition).order_by(table.c.id))).scalars())
            all_ids = list((await conn.execute(select(table.c.id).order_by(table.c.id))).scalars())
            envs = await record_envs(conn, schema, form, all_ids, compiled.paths)
        return [i for i in all_ids if compiled.evaluate(envs[i], self.ctx)], sql_ids


def same(a, b, tolerance: float = 1e-9) -> bool:
    """Equal values from the two back ends (numbers within a tolerance; SQLite booleans are 0/1)."""
    from datetime import date
    from decimal import Decimal

    if isinstance(a, Decimal):
        a = float(a)
    if isinstance(b, Decimal):
        b = float(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is not None and b is not None and bool(a) == bool(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs((a - b).total_seconds()) < 0.002
    if isinstance(a, date) and isinstance(b, str):
        return a.isoformat() == b
    return a == b
