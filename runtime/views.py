"""Views of a form's records at run time: the app's own views (from the published definition) and each person's
saved views (table saved_views), which take the same shapes and the same checks (engines/views). A saved view is
private to its owner; its filter may read only what the owner may see, as the records API's filter."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, update

from engines.expr import ExprError
from engines.problems import Problem, ProblemsError
from engines.views import ViewBase, parse_view
from runtime.errors import ApiError, not_found
from runtime.expressions import compiled
from runtime.models import saved_views
from runtime.permissions import Access
from runtime.tables import AppSchema


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _forms(schema: AppSchema) -> dict:
    return {f.key: f for f in schema.definition.forms}


def app_views(schema: AppSchema, form: str) -> list[ViewBase]:
    return [v for v in schema.definition.views if v.form == form]


def _dump(view: ViewBase) -> dict:
    return view.model_dump(mode="json", exclude_defaults=True, by_alias=True)


def check(schema: AppSchema, access: Access, form: str, doc: object) -> ViewBase:
    """A view a person sends: its form is the one in the URL, its settings fit that form, and its filter reads only
    what they may see. ProblemsError with JSON pointers into the body otherwise."""
    if not isinstance(doc, dict):
        raise ProblemsError([Problem("", "not_object")])
    doc = {"form": form, **doc}
    if doc["form"] != form:
        raise ProblemsError([Problem("/form", "view_form_mismatch", {"key": doc["form"], "expected": form})])
    if not doc.get("key"):
        doc["key"] = "mine_" + secrets.token_hex(4)
    view = parse_view(doc, _forms(schema))
    if view.filter and view.filter.strip():
        try:
            expression = compiled(schema, form, view.filter, "bool")
        except ExprError as e:  # parse_view compiled it already; kept for a schema cached before a change
            raise ProblemsError([e.problem("/filter")]) from None
        problems = access.path_problems(form, expression, "/filter")
        if problems:
            raise ProblemsError(problems)
    return view


async def listing(conn, schema: AppSchema, access: Access, user_id: int, form: str, lang: str) -> dict:
    """The app's views of the form, then the person's own; a saved view the app has since outgrown (a field
    removed…) is listed with the problem that stops it."""
    if schema.form(form) is None:
        raise not_found(f"form {form}")
    access.require(form, "read")
    items = [{"id": None, "saved": False, **_dump(v)} for v in app_views(schema, form)]
    rows = (await conn.execute(select(saved_views).where(
        saved_views.c.app_id == schema.app_id, saved_views.c.user_id == user_id, saved_views.c.form == form)
        .order_by(saved_views.c.id))).mappings().all()
    for row in rows:
        item = {**row["definition"], "id": row["id"], "saved": True}
        try:
            check(schema, access, form, row["definition"])
        except ProblemsError as e:
            item["problem"] = e.problems[0].message(lang)
        items.append(item)
    return {"items": items}


async def _key_free(conn, schema: AppSchema, user_id: int, key: str, exclude: int | None = None) -> None:
    taken = next((f"/views/{i}" for i, v in enumerate(schema.definition.views) if v.key == key), None)
    query = select(saved_views.c.id).where(saved_views.c.app_id == schema.app_id, saved_views.c.user_id == user_id,
                                           saved_views.c.key == key)
    if exclude is not None:
        query = query.where(saved_views.c.id != exclude)
    if taken is None and (await conn.execute(query)).first() is not None:
        taken = "your saved views"
    if taken is not None:
        raise ProblemsError([Problem("/key", "duplicate_key", {"key": key, "other": taken})])


async def _own_row(conn, schema: AppSchema, form: str, view_id: int, user_id: int):
    row = (await conn.execute(select(saved_views).where(
        saved_views.c.app_id == schema.app_id, saved_views.c.id == view_id, saved_views.c.form == form))
    ).mappings().first()
    if row is None:
        raise not_found(f"view {view_id}")
    if row["user_id"] != user_id:
        raise ApiError(403, "view_not_yours")
    return row


def _shape(row) -> dict:
    return {**row["definition"], "id": row["id"], "saved": True}


async def _read(conn, view_id: int) -> dict:
    return _shape((await conn.execute(select(saved_views).where(saved_views.c.id == view_id))).mappings().one())


async def create(conn, schema: AppSchema, access: Access, user_id: int, form: str, doc: object) -> dict:
    access.require(form, "read")
    view = check(schema, access, form, doc)
    await _key_free(conn, schema, user_id, view.key)
    now = utcnow()
    view_id = (await conn.execute(insert(saved_views).values(
        app_id=schema.app_id, user_id=user_id, form=form, key=view.key, definition=_dump(view), created_at=now,
        updated_at=now).returning(saved_views.c.id))).scalar_one()
    return await _read(conn, view_id)


async def replace(conn, schema: AppSchema, access: Access, user_id: int, form: str, view_id: int,
                  doc: object) -> dict:
    access.require(form, "read")
    row = await _own_row(conn, schema, form, view_id, user_id)
    if isinstance(doc, dict) and not doc.get("key"):
        doc = {**doc, "key": row["key"]}
    view = check(schema, access, form, doc)
    await _key_free(conn, schema, user_id, view.key, exclude=view_id)
    await conn.execute(update(saved_views).where(saved_views.c.id == view_id)
                       .values(key=view.key, definition=_dump(view), updated_at=utcnow()))
    return await _read(conn, view_id)


async def remove(conn, schema: AppSchema, access: Access, user_id: int, form: str, view_id: int) -> None:
    access.require(form, "read")
    await _own_row(conn, schema, form, view_id, user_id)
    await conn.execute(delete(saved_views).where(saved_views.c.id == view_id))
