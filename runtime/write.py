"""The one write path: API, bulk, seed data (and later import, flows and rules) all change records here.

validate and coerce (form engine) → check links, owners and unique values against the database →
generate auto-numbers → insert/update rows, sub-table rows and link rows, in the caller's transaction.
Every problem of a batch is reported at once, with the item index and field; nothing is written then.
"""
from __future__ import annotations

import json
import operator
import re
import weakref
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import repeat
from typing import Any, Callable

import asyncpg

from sqlalchemy import and_, any_, bindparam, delete, false, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.form import linkage
from engines.form.fields import autonumber
from engines.form.fields.base import Context, FieldError
from engines.form.record import check_record, coerce_value, record_checker
from engines.problems import Problem, ProblemsError, pointer, text_problems
from runtime.errors import ApiError, not_found
from runtime.files import check_files
from runtime.computed import Recompute
from runtime.expressions import compiled, eval_context, record_envs
from runtime.audit import record_audit
from runtime.models import audit_log, autonumber_counters, departments, users
from runtime.permissions import Access
from runtime.records import form_store
from runtime.webhooks import written
from runtime.settings import Settings
from runtime.tables import AppSchema, FieldStore, FormStore


COPY_FROM = 100  # rows of a batch from which PostgreSQL is sent them by COPY
_PEOPLE_TABLES = {"user": users, "department": departments}
_LINKED = operator.attrgetter("linked")  # relations (and sub-tables holding some)
_PEOPLE = operator.attrgetter("people")  # members and departments (and sub-tables holding some)


def _jsonable(value):
    """A stored value as the audit log keeps it (JSON): dates as ISO text, money as a number."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# What engines.problems.text_problems reports (NUL, lone surrogates), found in one regex pass over a batch's text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _texts(value: Any, out: list) -> None:
    """Every string and key text_problems would look at, in `out` (a superset: it stops at a bad key). Strings
    and plain scalars inside a container are taken without a call each (most of a record)."""
    if isinstance(value, str):
        out.append(value)
        return
    if isinstance(value, dict):
        out += value  # keys: JSON's are strings; any other makes the join below fail, and the full check decide
        inside = value.values()
    elif isinstance(value, list):
        inside = value
    else:
        return
    for item in inside:
        kind = type(item)
        if kind is str:
            out.append(item)
        elif item is not None and kind is not int and kind is not float and kind is not bool:
            _texts(item, out)


def _all_storable(items: list) -> bool:
    """True when text_problems surely finds nothing in any item: the common case, checked at C speed."""
    texts: list[str] = []
    _texts(items, texts)
    try:
        return _UNSTORABLE.search("".join(texts)) is None
    except TypeError:  # a key that is no string
        return False


def _spells(process, values: list, spell: Callable) -> bool:
    """Does `spell` give what the bind processor gives for each value?"""
    try:
        return all(process(v) == spell(v) for v in values)
    except Exception:  # a processor for other values: it refuses these
        return False


def _converter(process) -> Callable[[list], list] | None:
    """A column's values → what its bind processor makes of them. SQLite keeps dates and date-times as text
    spelled by SQLAlchemy's processors; where isoformat spells them the same (checked here on probes), it
    does the plain values at C speed and leaves any other value to the processor."""
    if process is None:
        return None
    moments = [datetime(2024, 3, 1, 10, 11, 12, 345678), datetime(2024, 3, 1), datetime(987, 6, 5, 4, 3, 2, 1)]
    if _spells(process, moments, lambda m: m.isoformat(" ", "microseconds")):
        return lambda values: [v.isoformat(" ", "microseconds") if type(v) is datetime and v.tzinfo is None
                               else process(v) for v in values]
    if _spells(process, [date(2024, 3, 1), date(987, 6, 5)], date.isoformat):
        return lambda values: [v.isoformat() if type(v) is date else process(v) for v in values]
    return lambda values: list(map(process, values))


class _BulkInsert:
    """One INSERT of a batch of rows into a table, as driver SQL built once: `same` the columns every row gives
    the same value, `varying` the others. Each column's bind processor (what SQLAlchemy's insert would apply to
    every value) runs here, once for a shared value. PostgreSQL: one statement over arrays, a column each
    (INSERT … SELECT … FROM unnest(…)), so the server plans and runs it once, not once per row. SQLite: one
    executemany of plain tuples (its own loop in C), or for one column of whole numbers (ids) one statement over
    a JSON array. Either way without SQLAlchemy's per-row parameter work. A single row: INSERT … VALUES …
    RETURNING id, built once too (SQLAlchemy would build and look up its insert anew for every record)."""

    def __init__(self, table, same: tuple[str, ...], varying: tuple[str, ...], dialect):
        quote = dialect.identifier_preparer.quote
        columns = [table.c[name] for name in (*same, *varying)]
        processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        self.shared_processors = processors[:len(same)]
        self.converters = [_converter(process) for process in processors[len(same):]]
        self.arrays = dialect.name == "postgresql"
        into = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} " \
               f"({', '.join(quote(c.name) for c in columns)})"
        self.json_sql = None
        marks = [f"${n}" for n in range(1, len(columns) + 1)] if self.arrays else ["?"] * len(columns)
        if self.arrays:  # the casts SQLAlchemy's own insert puts on each parameter (VARCHAR for any text…)
            compiler = dialect.statement_compiler(dialect, None)
            kinds = [compiler.render_bind_cast(c.type, c.type._unwrapped_dialect_impl(dialect), "").lstrip(":")
                     for c in columns]
            marks = [f"{mark}::{kind}" for mark, kind in zip(marks, kinds)]
        id_column = quote(table.c.id.name) if "id" in table.c else None
        self.one_sql = f"{into} VALUES ({', '.join(marks)})" + (f" RETURNING {id_column}" if id_column else "")
        if self.arrays:
            shared = [f"${n}::{kinds[n - 1]}" for n in range(1, len(same) + 1)]
            unnest = [f"${n}::{kinds[n - 1]}[]" for n in range(len(same) + 1, len(columns) + 1)]
            self.sql = f"{into} SELECT {', '.join(shared + ['u.*'])} FROM unnest({', '.join(unnest)}) AS u"
        elif dialect.paramstyle == "qmark":
            self.sql = f"{into} VALUES ({', '.join(marks)})"
            if dialect.name == "sqlite" and len(varying) == 1:
                self.json_sql = f"{into} SELECT {'?, ' * len(same)}value FROM json_each(?)"
        else:
            raise ValueError(f"bulk insert for {dialect.name} ({dialect.paramstyle}): settings refuse other databases")

    def _shared(self, same: dict) -> list:
        return [process(value) if process else value for value, process in zip(same.values(), self.shared_processors)]

    def bind_one(self, same: dict, varying: dict[str, list]) -> tuple[str, tuple]:
        """(SQL, its parameters) for a single row, returning its id: what a one-record create sends."""
        return self.one_sql, (*self._shared(same), *(column[0] for column in self._columns(varying)))

    def _columns(self, varying: dict[str, list]) -> list[list]:
        return [convert(values) if convert else values for values, convert in zip(varying.values(), self.converters)]

    def rows(self, same: dict, varying: dict[str, list]) -> list[tuple]:
        """The rows as the driver's tuples, every column in order (an executemany's parameters, a COPY's records)."""
        return _tuples(self._shared(same), self._columns(varying))

    def bind(self, same: dict, varying: dict[str, list]) -> tuple[str, tuple | list[tuple]]:
        """(SQL, its parameters) for these rows."""
        shared, columns = self._shared(same), self._columns(varying)
        if self.arrays:
            return self.sql, (*shared, *columns)
        if self.json_sql and all(type(v) is int for v in columns[0]):  # JSON numbers are exact for these
            return self.json_sql, (*shared, json.dumps(columns[0]))
        return self.sql, _tuples(shared, columns)


def _tuples(shared: list, columns: list[list]) -> list[tuple]:
    return list(zip(*map(repeat, shared), *columns))


_BULK_INSERTS: "weakref.WeakKeyDictionary[Any, dict[tuple, _BulkInsert]]" = weakref.WeakKeyDictionary()


def bulk_insert(table, same: tuple[str, ...], varying: tuple[str, ...], dialect) -> _BulkInsert:
    """The statement of a table and column split, built once per dialect (tables live as long as their schema)."""
    by_shape = _BULK_INSERTS.setdefault(table, {})
    key = (dialect.name, same, varying)
    statement = by_shape.get(key)
    if statement is None:
        statement = by_shape[key] = _BulkInsert(table, same, varying, dialect)
    return statement


# n new ids of a table, in one array; the sequence is looked up once (OFFSET 0 keeps the planner from inlining the
# look-up into every row, which made it cost six times the nextval calls themselves)
_NEW_IDS = text("SELECT array_agg(nextval(s.seq)) FROM (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS seq "
                "OFFSET 0) AS s, generate_series(1, CAST(:n AS integer))")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class RecordWriter:
    starts_flows = True  # False for writes that start no flows (rules, demo data); flows' own writes do, to MAX_DEPTH

    def __init__(self, conn: AsyncConnection, schema: AppSchema, ctx: Context, user_id: int | None,
                 settings: Settings | None = None, access: Access | None = None):
        self.conn, self.schema, self.ctx, self.user_id = conn, schema, ctx, user_id
        self.eval_ctx = eval_context(ctx.tz, user_id)
        self._settings = settings
        self.access = access or Access.unrestricted(schema, user_id, ctx.tz)

    @property
    def settings(self) -> Settings:
        """Where uploaded files live (a signature drawn in the browser is stored as one while writing)."""
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    # ---- create ------------------------------------------------------------------------------------------------
    async def create(self, form_key: str, data: Any) -> int:
        return (await self.create_many(form_key, [data], prefix=lambda i: ""))[0]

    async def create_many(self, form_key: str, items: list, prefix=lambda i: f"/items/{i}") -> list[int]:
        form = form_store(self.schema, form_key)
        self.access.require(form_key, "create")
        if not items:
            return []  # nothing to write (an INSERT of no rows would be one of a row of NULLs)
        if not _all_storable(items):  # refused before any of it reaches a query, each place named
            unstorable = [p.under(prefix(i)) for i, item in enumerate(items) for p in text_problems(item)]
            if unstorable:
                raise ProblemsError(unstorable)
        problems: list[Problem] = []
        clean: list[dict] = []
        check, ctx = record_checker(form.definition.fields, form.key), self.ctx
        # per item: fields the caller may not write, then the form engine's problems, defaults and linkage
        closed, defaults, linked = self.access.restricted, form.expression_defaults, form.has_linkage
        for i, item in enumerate(items):
            if closed:
                problems.extend(p.under(prefix(i)) for p in self._closed_fields(form, item))
            values, found = check(item, ctx)
            if defaults:
                found += self._expression_defaults(form, item, values)
            if linked:
                found = self._linkage(form, item, values, None, found)
            clean.append(values)
            if found:
                problems.extend(p.under(prefix(i)) for p in found)
        # On PostgreSQL a clean batch leaves its unique values to the unique indexes (a query fewer), asked only if
        # one refuses. Not on SQLite: there the look-up is an in-process index probe, and the savepoint that lets
        # the batch be taken back makes SQLite copy every page the insert touches into its savepoint journal.
        indexed = len(clean) > 1 and not problems and bool(form.unique) and self.conn.dialect.name == "postgresql"
        problems += await self._check_database(form, clean, prefix, exclude_id=None, unique_in_database=not indexed)
        if problems:
            if indexed:  # refused all the same: the values already taken belong in the same answer
                problems += await self._check_unique(form, clean, prefix, exclude_id=None, repeats=False)
            raise ProblemsError(problems)
        await self._number(form, clean)
        now = utcnow()
        # Every row names every column, so the batch is one executemany of one statement. Built column by
        # column: the same values for every row once, each field's values in one pass.
        same = {"created_at": now, "updated_at": now, "created_by": self.user_id, "updated_by": self.user_id,
                "version": 1}
        varying = {"owner": [values.get("owner", self.user_id) for values in clean],
                   **{name: [values.get(key) for values in clean] for key, name in form.columns}}
        ids = await (self._insert_unique(form, same, varying, clean, prefix) if indexed
                     else self._insert_columns(form, same, varying))
        if any(store.link is not None or store.child is not None for store in form.linked):
            for record_id, values in zip(ids, clean):
                await self._write_children(form, record_id, values, replace=False)
        await self.access.check_rows(self.conn, form, "create", ids)
        await self._insert_many(audit_log, {"at": now, "user_id": self.user_id, "app_id": self.schema.app_id,
                                            "form": form.key, "action": "create"}, {"record_id": ids})
        recompute = await self.refresh(form.key, ids)
        await self._run_rules(form.key, ids, None, recompute)
        await self._start_flows(form.key, ids, None)
        await written(self, form.key, "created", ids)  # report caches and webhooks (no query without webhooks)
        return ids

    async def _run_rules(self, form_key: str, ids: list[int], changed: set[str] | None, recompute) -> None:
        """Rules this write triggers run in its transaction, before flows start (runtime/rules.py); free for apps
        without rules."""
        if self.schema.definition.rules:
            from runtime.rules import on_record_written as run_rules

            await run_rules(self, form_key, ids, changed, recompute)

    async def _start_flows(self, form_key: str, ids: list[int], changed: set[str] | None) -> None:
        """Flows triggered by this write start in its transaction (runtime/flows.py); free for apps without flows."""
        if self.starts_flows and self.schema.definition.flows:
            from runtime.flows import on_record_written

            await on_record_written(self.conn, self.schema, form_key, ids, changed, self.user_id, self.ctx.tz)

    def _expression_defaults(self, form: FormStore, item, values: dict) -> list[Problem]:
        """Defaults such as {"expr": "TODAY() + 7"} for fields the item leaves out, over its other values."""
        problems = []
        for f in form.expression_defaults:
            if isinstance(item, dict) and f.key in item:
                continue
            expression = compiled(self.schema, form.key, f.default["expr"])
            try:
                value = coerce_value(f, expression.evaluate(values, self.eval_ctx), self.ctx)
            except FieldError as e:
                problems.append(Problem(pointer(f.key), e.code, e.params))
                continue
            if value is None and f.required:
                problems.append(Problem(pointer(f.key), "required"))
            elif value is not None:
                values[f.key] = value
        return problems

    async def _stored(self, form: FormStore, record_id: int, values: dict) -> dict:
        """The stored values of the fields in `values` that live in the record's own columns (and its owner)."""
        names = {key: name for key, name in form.columns if key in values}
        columns = [form.table.c[name] for name in names.values()] + ([form.table.c.owner] if "owner" in values else [])
        if not columns:
            return {}
        row = (await self.conn.execute(select(*columns).where(form.table.c.id == record_id))).first()
        if row is None:
            return {}
        found = dict(zip([*names, *(["owner"] if "owner" in values else [])], row))
        return found

    # ---- permissions ---------------------------------------------------------------------------------------------
    async def reach(self, form: FormStore, record_id: int, op: str) -> None:
        """The record must be one the caller may see (else it does not exist for them) and may `op`."""
        self.access.require(form.key, op)
        if not self.access.restricted:
            return
        readable, allowed = await self.access.reach(self.conn, form, op, record_id)
        if not readable:
            raise not_found(f"record {record_id}")
        if not allowed:
            raise ApiError(403, "row_out_of_scope", op=op, form=form.key)

    def _closed_fields(self, form: FormStore, item) -> list[Problem]:
        """Values sent for fields the caller may not write (hidden or read-only), in sub-table rows too."""
        if not self.access.restricted or not isinstance(item, dict):
            return []
        closed = self.access.closed(form.key)
        problems = [Problem(pointer(key), "field_not_writable", {"key": key}) for key in item if key in closed]
        for store in form.fields.values():
            rows = item.get(store.key)
            if store.child is not None and isinstance(rows, list):
                row_closed = self.access.closed(store.child.key)
                problems += [Problem(pointer(store.key, n, key), "field_not_writable", {"key": key})
                             for n, row in enumerate(rows) if isinstance(row, dict) for key in row if key in row_closed]
        return problems

    def _linkage(self, form: FormStore, given, values: dict, current: dict | None, found: list[Problem]) -> list[Problem]:
        """The form's linkage rules, and each sub-table's rules row by row, enforced on one record's write."""
        if not form.has_linkage or not isinstance(given, dict):
            return found
        problems, hidden = list(found), set()
        if form.definition.linkage:
            new, state = linkage.enforce(form.definition.linkage, form.definition.fields,
                                         self._holds(form.key, form.definition.linkage, {**(current or {}), **values}),
                                         given, values, current)
            problems += new
            hidden |= {pointer(key) for key in state.hidden}
        for store in form.fields.values():
            rules = getattr(store.field, "linkage", None) if store.child is not None else None
            if not rules or not values.get(store.key):
                continue
            sent = given.get(store.key) if isinstance(given.get(store.key), list) else []
            for n, row in enumerate(values[store.key]):
                row_given = sent[n] if n < len(sent) and isinstance(sent[n], dict) else {}
                new, state = linkage.enforce(rules, store.field.fields, self._holds(store.child.key, rules, row),
                                             row_given, row, None, pointer(store.key, n))
                problems += new
                hidden |= {pointer(store.key, n, key) for key in state.hidden}
        # a hidden field is never required, whatever its definition says
        return [p for p in problems if not (p.code == "required" and p.path in hidden)]

    def _holds(self, form_key: str, rules, env: dict):
        def holds(i: int) -> bool:
            try:
                return compiled(self.schema, form_key, rules[i].when, "bool").evaluate(env, self.eval_ctx) is True
            except Exception:  # a condition that cannot be decided does not hold, as in the browser
                return False
        return holds

    async def refresh(self, form_key: str, ids: list[int]) -> Recompute:
        """Records of a form changed outside create/update (merged, re-linked): recompute what depends on them."""
        recompute = self._recompute()
        recompute.mark(form_key, ids)
        await recompute.mark_rows(form_key, ids)
        await recompute.run()
        return recompute

    def _recompute(self) -> Recompute:
        return Recompute(self.conn, self.schema, self.eval_ctx)

    async def _insert(self, form: FormStore, rows: list[dict]) -> list[int]:
        """Rows given as dicts, each naming the same columns."""
        return await self._insert_columns(form, {}, {name: [row[name] for row in rows] for name in rows[0]})

    async def _insert_columns(self, form: FormStore, same: dict, varying: dict[str, list]) -> list[int]:
        """Insert len(varying's lists) rows: `same` the values every row has, `varying` each column's values."""
        table = form.table
        count = len(next(iter(varying.values())))
        if count == 1:
            statement = bulk_insert(table, tuple(same), tuple(varying), self.conn.dialect)
            return [(await self.conn.exec_driver_sql(*statement.bind_one(same, varying))).scalar_one()]
        if self.conn.dialect.name == "sqlite":
            return await self._insert_sqlite(table, same, varying, count)
        return await self._insert_postgresql(table, same, varying, count)

    async def _insert_postgresql(self, table, same: dict, varying: dict[str, list], count: int) -> list[int]:
        """Take the ids from the table's sequence first, then one plain batched INSERT: no RETURNING to
        sort back into parameter order, so the insert itself costs what a hand-written one does."""
        ids = (await self.conn.execute(_NEW_IDS, {"table": table.name, "n": count})).scalar_one()
        # the query above began the transaction, so a COPY (sent past SQLAlchemy) is part of it
        await (self._copy if count >= COPY_FROM else self._insert_many)(table, same, {"id": ids, **varying})
        return ids

    async def _copy(self, table, same: dict, varying: dict[str, list]) -> None:
        """_insert_many by PostgreSQL's COPY, for many rows a quarter faster than one INSERT over arrays. The
        transaction must have begun (asyncpg would run the COPY on its own otherwise)."""
        rows = bulk_insert(table, tuple(same), tuple(varying), self.conn.dialect).rows(same, varying)
        driver = (await self.conn.get_raw_connection()).driver_connection
        try:
            await driver.copy_records_to_table(table.name, records=rows, columns=[*same, *varying])
        except asyncpg.PostgresError as error:  # reported as SQLAlchemy reports a failed statement
            refused = IntegrityError if isinstance(error, asyncpg.IntegrityConstraintViolationError) else DBAPIError
            raise refused(f"COPY {table.name}", None, error) from error

    async def _insert_unique(self, form: FormStore, same: dict, varying: dict[str, list], clean: list[dict],
                             prefix) -> list[int]:
        """Insert a batch whose unique values were not looked up first. When an index refuses one, the insert is
        undone and the values already taken are reported as the look-up would have; any other refusal (or a race
        the look-up no longer sees) goes on as it came."""
        try:
            async with self.conn.begin_nested():
                return await self._insert_columns(form, same, varying)
        except IntegrityError:
            taken = await self._check_unique(form, clean, prefix, exclude_id=None, repeats=False)
            if taken:
                raise ProblemsError(taken) from None
            raise

    async def _insert_sqlite(self, table, same: dict, varying: dict[str, list], count: int) -> list[int]:
        """SQLite cannot order a multi-row RETURNING, so SQLAlchemy would send one INSERT per row. One
        executemany instead: the transaction holds the write lock (BEGIN IMMEDIATE), so nobody else inserts
        meanwhile and the new rows take the ids after the largest, in order. They are read back, not assumed:
        as how many, the first and the last when those leave no gap (always, here), else one by one."""
        before = (await self.conn.execute(select(func.max(table.c.id)))).scalar() or 0
        await self._insert_many(table, same, varying)
        new = table.c.id > before
        found, first, last = (await self.conn.execute(select(func.count(), func.min(table.c.id), func.max(table.c.id))
                                                      .where(new))).one()
        if found == count and last - first + 1 == count:
            return list(range(first, last + 1))
        ids = list((await self.conn.execute(select(table.c.id).where(new).order_by(table.c.id))).scalars())
        if len(ids) != count:
            raise RuntimeError(f"{table.name}: {count} rows inserted but {len(ids)} new ids found")
        return ids

    async def _insert_many(self, table, same: dict, varying: dict[str, list]) -> None:
        """Rows in one statement (PostgreSQL) or one executemany (SQLite): `same` the values every row has,
        `varying` each column's values, row by row."""
        await self.conn.exec_driver_sql(*bulk_insert(table, tuple(same), tuple(varying), self.conn.dialect)
                                        .bind(same, varying))

    def _columns(self, form: FormStore, values: dict) -> dict:
        return {name: values[key] for key, name in form.columns if key in values}

    # ---- update ------------------------------------------------------------------------------------------------
    async def update(self, form_key: str, record_id: int, data: Any, version: int | None) -> None:
        form = form_store(self.schema, form_key)
        await self.reach(form, record_id, "update")
        if text_problems(data):
            raise ProblemsError(text_problems(data))
        problems = self._closed_fields(form, data)
        values, found = check_record(form.definition.fields, data, self.ctx, partial=True, form=form.key)
        problems += found
        if form.has_linkage:
            current = (await record_envs(self.conn, self.schema, form.key, [record_id], ())).get(record_id)
            if current is not None:
                problems = self._linkage(form, data, values, current, problems)
        problems += await self._check_database(form, [values], lambda i: "", exclude_id=record_id)
        if problems:
            raise ProblemsError(problems)
        table = form.table
        before = await self._stored(form, record_id, values)
        recompute = self._recompute()
        await recompute.before(form.key, [record_id], values)
        changes = {**self._columns(form, values), "updated_at": utcnow(), "updated_by": self.user_id,
                   "version": table.c.version + 1}
        if "owner" in values:
            changes["owner"] = values["owner"]
        condition = table.c.id == record_id
        if version is not None:
            condition = and_(condition, table.c.version == version)
        result = await self.conn.execute(update(table).where(condition).values(changes))
        if result.rowcount == 0:
            current = (await self.conn.execute(select(table.c.version).where(table.c.id == record_id))).scalar()
            if current is None:
                raise not_found(f"record {record_id}")
            raise ApiError(409, "stale_version", current=current)
        await self._write_children(form, record_id, values, replace=True)
        await self.access.check_rows(self.conn, form, "update", [record_id])
        changed = {key: [_jsonable(old), _jsonable(values[key])] for key, old in before.items() if old != values[key]}
        changed.update({key: [None, _jsonable(values[key])] for key in values if key not in before})
        if changed:
            await record_audit(self.conn, action="update", user_id=self.user_id, app_id=self.schema.app_id,
                               form=form.key, record_id=record_id, detail={"changes": changed})
        recompute.mark(form.key, [record_id], [*values, "updated_at", "updated_by", "version"])
        if any(store.child is not None and store.key in values for store in form.fields.values()):
            await recompute.mark_rows(form.key, [record_id])
        await recompute.run()
        if changed:
            await self._run_rules(form.key, [record_id], set(changed), recompute)
            await self._start_flows(form.key, [record_id], set(changed))
        await written(self, form.key, "updated", [record_id] if changed else [], set(changed))

    # ---- delete ------------------------------------------------------------------------------------------------
    async def delete(self, form_key: str, record_id: int) -> None:
        form = form_store(self.schema, form_key)
        await self.reach(form, record_id, "delete")
        recompute = self._recompute()
        await recompute.before(form.key, [record_id], None)
        snapshot = await self._stored(form, record_id, {key: None for key, _ in form.columns} | {"owner": None})
        await self._delete_children(form, [record_id])
        result = await self.conn.execute(delete(form.table).where(form.table.c.id == record_id))
        if result.rowcount == 0:
            raise not_found(f"record {record_id}")
        await record_audit(self.conn, action="delete", user_id=self.user_id, app_id=self.schema.app_id, form=form.key,
                           record_id=record_id, detail={"snapshot": {k: _jsonable(v) for k, v in snapshot.items()}})
        # Links into this record go with it; one-relations pointing here become empty.
        for other in self.schema.forms.values():
            for store in other.fields.values():
                if store.target is not form or store.field.type != "relation":
                    continue
                if store.link is not None:
                    sources = (await self.conn.execute(delete(store.link).where(store.link.c.target_id == record_id)
                                                       .returning(store.link.c.source_id))).scalars()
                else:
                    sources = (await self.conn.execute(
                        update(other.table).where(store.column == record_id).values({store.column.name: None})
                        .returning(other.table.c.id))).scalars()
                recompute.mark(other.key, sources, [store.key])
        await recompute.run()
        await written(self, form.key, "deleted", [record_id], snapshot={"id": record_id, **_jsonable(snapshot)})

    async def _delete_children(self, form: FormStore, ids: list[int]) -> None:
        for store in form.fields.values():
            if store.link is not None:
                await self.conn.execute(delete(store.link).where(store.link.c.source_id.in_(ids)))
            elif store.child is not None:
                child = store.child.table
                child_ids = list((await self.conn.execute(select(child.c.id).where(child.c.parent_id.in_(ids)))).scalars())
                if child_ids:
                    await self._delete_children(store.child, child_ids)
                    await self.conn.execute(delete(child).where(child.c.id.in_(child_ids)))

    # ---- children: link rows and sub-table rows -----------------------------------------------------------------
    async def _write_children(self, form: FormStore, record_id: int, values: dict, replace: bool) -> None:
        for key, store in form.fields.items():
            if key not in values:
                continue
            if store.link is not None:
                if replace:
                    await self.conn.execute(delete(store.link).where(store.link.c.source_id == record_id))
                links = [{"source_id": record_id, "target_id": t, "position": n} for n, t in enumerate(values[key] or [])]
                if links:
                    await self.conn.execute(insert(store.link), links)
            elif store.child is not None:
                await self._write_rows(store.child, record_id, values[key] or [], replace)

    async def _write_rows(self, child: FormStore, parent_id: int, rows: list[dict], replace: bool) -> None:
        table = child.table
        kept: dict[int, dict] = {}
        if replace:
            existing = set((await self.conn.execute(select(table.c.id).where(table.c.parent_id == parent_id))).scalars())
            kept = {row["id"]: row for row in rows if row.get("id") in existing}
            gone = list(existing - set(kept))
            if gone:
                await self._delete_children(child, gone)
                await self.conn.execute(delete(table).where(table.c.id.in_(gone)))
        for position, row in enumerate(rows):
            columns = {"position": position, **self._columns(child, row)}
            if row.get("id") in kept:
                await self.conn.execute(update(table).where(table.c.id == row["id"]).values(columns))
                row_id = row["id"]
            else:
                row_id = (await self.conn.execute(insert(table).values(parent_id=parent_id, **columns)
                                                  .returning(table.c.id))).scalar_one()
            await self._write_children(child, row_id, row, replace=row_id in kept)

    # ---- checks against the database ---------------------------------------------------------------------------
    async def _check_database(self, form: FormStore, items: list[dict], prefix, exclude_id: int | None,
                              unique_in_database: bool = True) -> list[Problem]:
        problems: list[Problem] = []
        wanted: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))  # target form → id → paths
        stores: dict[int, FormStore] = {}
        for i, values in enumerate(items if form.linked else ()):
            for path, store, value in self._values_of(_LINKED, form, values, prefix(i)):
                stores[store.target.id] = store.target
                for record_id in value if isinstance(value, list) else [value]:
                    wanted[store.target.id][record_id].append(path)
        for target_id, paths_by_id in wanted.items():
            target = stores[target_id]
            # one links only to records one may read: others do not exist for the caller
            query = select(target.table.c.id).where(target.table.c.id.in_(list(paths_by_id)))
            reach = self.access.rows(target, "read") if self.access.allows(target.key, "read") else false()
            found = set((await self.conn.execute(query if reach is None else query.where(reach))).scalars())
            for record_id, paths in paths_by_id.items():
                if record_id not in found:
                    problems += [Problem(p, "missing_record", {"form": target.key, "id": record_id}) for p in paths]
        people: dict[str, dict[int, list[str]]] = {"user": defaultdict(list), "department": defaultdict(list)}
        for i, values in enumerate(items):
            if values.get("owner"):
                people["user"][values["owner"]].append(prefix(i) + "/owner")
            for path, store, value in self._values_of(_PEOPLE, form, values, prefix(i)) if form.people else ():
                kind, ids = store.type.references(store.field, value)
                for person in ids:
                    people[kind][person].append(path)
        for kind, paths_by_id in people.items():
            if paths_by_id:
                table = _PEOPLE_TABLES[kind]
                found = set((await self.conn.execute(select(table.c.id).where(table.c.id.in_(list(paths_by_id))))).scalars())
                problems += [Problem(path, f"unknown_{kind}", {"id": person})
                             for person, paths in paths_by_id.items() if person not in found for path in paths]
        problems += await self._check_unique(form, items, prefix, exclude_id, taken=unique_in_database)
        if form.has_files:
            problems += await check_files(self.conn, self.settings, form.definition.fields, items, prefix,
                                          app_id=self.schema.app_id, user_id=self.user_id)
        return problems

    def _values_of(self, stores_of, form: FormStore, values: dict, path: str):
        """(path, field store, value) of the fields `stores_of(form)` picks, and in sub-table rows (a sub-table
        store it picks is walked into): relations to check, members and departments to find."""
        for store in stores_of(form):
            value = values.get(store.key)
            if value is None:
                continue
            if store.child is None:
                yield path + pointer(store.key), store, value
            else:
                for n, row in enumerate(value):
                    yield from self._values_of(stores_of, store.child, row, path + pointer(store.key, n))

    async def _check_unique(self, form: FormStore, items: list[dict], prefix, exclude_id, repeats: bool = True,
                            taken: bool = True) -> list[Problem]:
        """Values given twice in the batch (`repeats`), and values other records hold already (`taken`)."""
        problems = []
        for store in form.unique:
            key = store.key
            where: dict[Any, list[int]] = {}  # value → the items holding it, in order
            for i, values in enumerate(items):
                value = values.get(key)
                if value is None:
                    continue
                if value in where:
                    if repeats:
                        problems.append(Problem(prefix(i) + pointer(key), "duplicate_in_batch",
                                                {"value": value, "other": where[value][0]}))
                    where[value].append(i)
                else:
                    where[value] = [i]
            if not where or not taken:
                continue
            query = select(store.column).where(self._one_of(store.column, list(where)))
            if exclude_id is not None:
                query = query.where(form.table.c.id != exclude_id)
            for (held,) in (await self.conn.execute(query)).all():
                problems += [Problem(prefix(i) + pointer(key), "duplicate_value", {"value": held})
                             for i in where.get(held, ())]
        return problems

    def _one_of(self, column, values: list):
        """column IN values. Texts (what unique fields hold) go as one parameter, so a batch's check is one
        small statement however many values it has: an array on PostgreSQL, a JSON array on SQLite."""
        if len(values) < 2 or any(type(v) is not str for v in values):
            return column.in_(values)
        if self.conn.dialect.name == "postgresql":
            return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
        if self.conn.dialect.name == "sqlite":
            listed = func.json_each(json.dumps(values, ensure_ascii=False)).table_valued("value")
            return column.in_(select(listed.c.value))
        return column.in_(values)

    # ---- auto-numbers ------------------------------------------------------------------------------------------
    async def _number(self, form: FormStore, items: list[dict]) -> None:
        for key, store in form.fields.items():
            if store.field.type != "autonumber":
                continue
            scope = autonumber.scope(store.field.pattern, datetime.now(self.ctx.tz))
            last = await self._reserve(store, scope, len(items))
            for offset, values in enumerate(items):
                values[key] = autonumber.render(scope, store.field.pattern, last - len(items) + 1 + offset)

    async def _reserve(self, store: FieldStore, scope: str, count: int) -> int:
        """Reserve `count` numbers atomically; returns the last one (safe across processes)."""
        make = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        stmt = make(autonumber_counters).values(field_id=store.id, scope=scope, value=count)
        stmt = stmt.on_conflict_do_update(index_elements=["field_id", "scope"],
                                          set_={"value": autonumber_counters.c.value + count})
        return (await self.conn.execute(stmt.returning(autonumber_counters.c.value))).scalar_one()
