"""Segments (人群 / 分群): a saved filter expression over one form's records — fields, tags, DECIDE(…) — made by
business staff at run time and counted live. Each count is one COUNT query with the segment's filter and the
viewer's row scope (runtime/permissions.py Access.rows); the records are the records API's list with the filter.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, delete, func, insert, select, update

from engines.expr import ExprError
from engines.problems import MESSAGES, Problem, ProblemsError
from runtime.errors import ApiError, not_found
from runtime.expressions import compiled
from runtime.models import app_segments
from runtime.permissions import Access
from runtime.records import RecordReader, form_store
from runtime.tables import AppSchema

MESSAGES.update({
    "segment_exists": ("人群「{name}」已存在", "segment {name!r} already exists"),
    "segment_not_yours": ("只有创建人或管理员可以修改或删除此人群", "only its creator or an administrator may change or "
                                                              "delete this segment"),
})


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def check_filter(schema: AppSchema, access: Access, form: str, text: str, path: str = "/filter") -> None:
    """The filter as the records API takes it: a condition over the form, reading only what the caller may see."""
    if schema.form(form) is None:
        raise ProblemsError([Problem("/form", "unknown_form", {"key": form})])
    access.require(form, "read")
    try:
        expression = compiled(schema, form, text, "bool")
    except ExprError as e:
        raise ProblemsError([e.problem(path)]) from None
    problems = access.path_problems(form, expression, path)
    if problems:
        raise ProblemsError(problems)


async def count(conn, schema: AppSchema, reader: RecordReader, access: Access, segment) -> int:
    form = form_store(schema, segment["form"])
    conditions = [reader.where(form.key, segment["filter"])]
    scope = access.rows(form, "read")
    if scope is not None:
        conditions.append(scope)
    return (await conn.execute(select(func.count()).select_from(form.table).where(and_(*conditions)))).scalar_one()


async def listing(conn, schema: AppSchema, reader: RecordReader, access: Access, lang: str,
                  form: str | None = None) -> list[dict]:
    """The app's segments over forms the viewer may read, each with its live count (or the problem that stops
    it, when the app changed under a saved filter)."""
    query = select(app_segments).where(app_segments.c.app_id == schema.app_id).order_by(app_segments.c.id)
    if form is not None:
        query = query.where(app_segments.c.form == form)
    out = []
    for row in (await conn.execute(query)).mappings().all():
        if schema.form(row["form"]) is None or not access.allows(row["form"], "read"):
            continue
        item = _shape(row)
        try:
            check_filter(schema, access, row["form"], row["filter"])
        except ProblemsError as e:
            item["count"], item["problem"] = None, e.problems[0].message(lang)
        else:
            item["count"] = await count(conn, schema, reader, access, row)
        out.append(item)
    return out


def _shape(row) -> dict:
    return {"id": row["id"], "name": row["name"], "form": row["form"], "filter": row["filter"],
            "description": row["description"], "created_by": row["created_by"],
            "created_at": row["created_at"].isoformat() + "Z", "updated_at": row["updated_at"].isoformat() + "Z"}


async def get_row(conn, schema: AppSchema, segment_id: int, access: Access):
    row = (await conn.execute(select(app_segments).where(app_segments.c.app_id == schema.app_id,
                                                         app_segments.c.id == segment_id))).mappings().first()
    if row is None or schema.form(row["form"]) is None or not access.allows(row["form"], "read"):
        raise not_found(f"segment {segment_id}")
    return row


async def _name_free(conn, app_id: int, name: str, exclude: int | None = None) -> None:
    query = select(app_segments.c.id).where(app_segments.c.app_id == app_id, app_segments.c.name == name)
    if exclude is not None:
        query = query.where(app_segments.c.id != exclude)
    if (await conn.execute(query)).first() is not None:
        raise ProblemsError([Problem("/name", "segment_exists", {"name": name})])


async def create(conn, schema: AppSchema, access: Access, values: dict, user_id: int | None) -> dict:
    check_filter(schema, access, values["form"], values["filter"])
    await _name_free(conn, schema.app_id, values["name"])
    now = utcnow()
    segment_id = (await conn.execute(insert(app_segments).values(
        app_id=schema.app_id, name=values["name"], form=values["form"], filter=values["filter"],
        description=values.get("description"), created_by=user_id, created_at=now, updated_at=now)
        .returning(app_segments.c.id))).scalar_one()
    return _shape(await get_row(conn, schema, segment_id, access))


def _may_change(row, user) -> None:
    if not user.is_admin and row["created_by"] != user.id:
        raise ApiError(403, "segment_not_yours")


async def change(conn, schema: AppSchema, access: Access, segment_id: int, values: dict, user) -> dict:
    row = await get_row(conn, schema, segment_id, access)
    _may_change(row, user)
    changes = {k: v for k, v in values.items() if k in ("name", "form", "filter", "description")
               and (v is not None or k == "description")}
    if "form" in changes or "filter" in changes:
        check_filter(schema, access, changes.get("form", row["form"]), changes.get("filter", row["filter"]))
    if "name" in changes:
        await _name_free(conn, schema.app_id, changes["name"], exclude=segment_id)
    if changes:
        await conn.execute(update(app_segments).where(app_segments.c.id == segment_id)
                           .values(**changes, updated_at=utcnow()))
    return _shape(await get_row(conn, schema, segment_id, access))


async def remove(conn, schema: AppSchema, access: Access, segment_id: int, user) -> None:
    row = await get_row(conn, schema, segment_id, access)
    _may_change(row, user)
    await conn.execute(delete(app_segments).where(app_segments.c.id == segment_id))
