"""The tag library of an app (标签库): groups and tags with colours and descriptions, for display and the picker.

Tags stay free text in records (engines/form/fields/tags.py: a JSON list per tags field); the library adds what
people see around them. Counts are one GROUP BY per tags field over the list's elements (json_each on SQLite,
jsonb_array_elements_text on PostgreSQL), through the reader's row scope. Renaming a tag renames it in every
record — one UPDATE per tags field, through the database's JSON functions, keeping each list's order and never
listing a tag twice — and deleting it takes it out of every record; both write one audit entry per record changed,
bump the records' versions (so an edit made on the old list is refused as stale) and recompute what reads tags.
Tags fields of sub-table rows are not counted or renamed.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import String, case, column, delete, func, insert, literal, literal_column, select, update

from engines.expr.functions.info import list_contains
from engines.problems import MESSAGES, Problem, ProblemsError
from runtime.errors import ApiError, not_found
from runtime.models import app_tag_groups, app_tags, audit_log
from runtime.permissions import Access
from runtime.tables import AppSchema, FormStore

MESSAGES.update({
    "tag_exists": ("标签「{name}」已在标签库中", "tag {name!r} is already in the library"),
    "tag_group_exists": ("标签分组「{name}」已存在", "tag group {name!r} already exists"),
    "unknown_tag_group": ("标签分组 {id} 不存在", "tag group {id} does not exist"),
    "no_readable_form": ("你不能查看应用「{app}」的任何表单", "you may not read any form of app {app!r}"),
})


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def tags_fields(schema: AppSchema) -> list[tuple[FormStore, str]]:
    """(form, field key) of every tags field of the app's forms."""
    return [(form, key) for form in schema.forms.values() if form.parent is None
            for key, store in form.fields.items() if store.field.type == "tags" and store.column is not None]


def require_reader(schema: AppSchema, access: Access) -> None:
    """The library is read by anyone who may read some form of the app."""
    if not any(access.allows(form.key, "read") for form in schema.forms.values() if form.parent is None):
        raise ApiError(403, "no_readable_form", app=schema.key)


# ---- counts ---------------------------------------------------------------------------------------------------
async def tag_counts(conn, schema: AppSchema, access: Access) -> dict[str, dict[str, int]]:
    """tag → {"form.field": records carrying it}, over the records this reader may read."""
    counts: dict[str, dict[str, int]] = {}
    for form, key in tags_fields(schema):
        if not access.allows(form.key, "read") or key in access.hidden(form.key):
            continue
        table = form.table
        stored = table.c[form.fields[key].column.name]
        if conn.dialect.name == "postgresql":
            element = func.jsonb_array_elements_text(stored).table_valued("value").alias("e")
        else:
            element = func.json_each(stored).table_valued("value").alias("e")
        query = (select(element.c.value, func.count(func.distinct(table.c.id))).select_from(table)
                 .join(element, literal(True)).group_by(element.c.value))
        scope = access.rows(form, "read")
        if scope is not None:
            query = query.where(scope)
        for tag, n in (await conn.execute(query)).all():
            counts.setdefault(tag, {})[f"{form.key}.{key}"] = n
    return counts


# ---- the library ----------------------------------------------------------------------------------------------
async def library(conn, schema: AppSchema, access: Access) -> dict:
    """Groups, the library's tags with their counts, and tags found in records that the library does not list."""
    groups = (await conn.execute(select(app_tag_groups).where(app_tag_groups.c.app_id == schema.app_id)
                                 .order_by(app_tag_groups.c.position, app_tag_groups.c.id))).mappings().all()
    tags = (await conn.execute(select(app_tags).where(app_tags.c.app_id == schema.app_id)
                               .order_by(app_tags.c.position, app_tags.c.id))).mappings().all()
    counts = await tag_counts(conn, schema, access)
    listed = {t["name"] for t in tags}
    return {
        "groups": [_group(g) for g in groups],
        "tags": [_tag(t, counts.get(t["name"], {})) for t in tags],
        "unlisted": [{"name": name, "counts": by_field, "total": sum(by_field.values())}
                     for name, by_field in sorted(counts.items()) if name not in listed],
        "fields": [f"{form.key}.{key}" for form, key in tags_fields(schema)],
    }


def _group(row) -> dict:
    return {"id": row["id"], "name": row["name"], "color": row["color"], "position": row["position"]}


def _tag(row, counts: dict[str, int]) -> dict:
    return {"id": row["id"], "name": row["name"], "group": row["group_id"], "color": row["color"],
            "description": row["description"], "position": row["position"], "counts": counts,
            "total": sum(counts.values())}


async def _tag_row(conn, app_id: int, tag_id: int):
    row = (await conn.execute(select(app_tags).where(app_tags.c.app_id == app_id, app_tags.c.id == tag_id))
           ).mappings().first()
    if row is None:
        raise not_found(f"tag {tag_id}")
    return row


async def _check_group(conn, app_id: int, group_id: int | None) -> None:
    if group_id is None:
        return
    found = (await conn.execute(select(app_tag_groups.c.id).where(
        app_tag_groups.c.app_id == app_id, app_tag_groups.c.id == group_id))).first()
    if found is None:
        raise ProblemsError([Problem("/group", "unknown_tag_group", {"id": group_id})])


async def _name_free(conn, table, app_id: int, name: str, code: str, exclude: int | None = None) -> None:
    query = select(table.c.id).where(table.c.app_id == app_id, table.c.name == name)
    if exclude is not None:
        query = query.where(table.c.id != exclude)
    if (await conn.execute(query)).first() is not None:
        raise ProblemsError([Problem("/name", code, {"name": name})])


async def create_tag(conn, schema: AppSchema, values: dict) -> dict:
    await _name_free(conn, app_tags, schema.app_id, values["name"], "tag_exists")
    await _check_group(conn, schema.app_id, values.get("group"))
    now = utcnow()
    tag_id = (await conn.execute(insert(app_tags).values(
        app_id=schema.app_id, group_id=values.get("group"), name=values["name"], color=values.get("color"),
        description=values.get("description"), position=values.get("position") or 0, created_at=now,
        updated_at=now).returning(app_tags.c.id))).scalar_one()
    return _tag(await _tag_row(conn, schema.app_id, tag_id), {})


async def change_tag(conn, schema: AppSchema, ctx, tag_id: int, values: dict, user_id: int | None) -> dict:
    """Group, colour, description, position; a new name renames the tag in every record too."""
    row = await _tag_row(conn, schema.app_id, tag_id)
    changes = {}
    if "group" in values:
        await _check_group(conn, schema.app_id, values["group"])
        changes["group_id"] = values["group"]
    for key in ("color", "description", "position"):
        if key in values:
            changes[key] = values[key] if key != "position" else values[key] or 0
    renamed = {}
    if values.get("name") is not None and values["name"] != row["name"]:
        await _name_free(conn, app_tags, schema.app_id, values["name"], "tag_exists", exclude=tag_id)
        changes["name"] = values["name"]
        renamed = await rewrite_records(conn, schema, ctx, row["name"], values["name"], user_id)
    if changes:
        await conn.execute(update(app_tags).where(app_tags.c.id == tag_id).values(**changes, updated_at=utcnow()))
    result = _tag(await _tag_row(conn, schema.app_id, tag_id), {})
    return {**result, "records_changed": renamed}


async def delete_tag(conn, schema: AppSchema, ctx, tag_id: int, user_id: int | None) -> dict:
    """Out of the library and out of every record."""
    row = await _tag_row(conn, schema.app_id, tag_id)
    changed = await rewrite_records(conn, schema, ctx, row["name"], None, user_id)
    await conn.execute(delete(app_tags).where(app_tags.c.id == tag_id))
    return changed


# ---- groups ---------------------------------------------------------------------------------------------------
async def create_group(conn, schema: AppSchema, values: dict) -> dict:
    await _name_free(conn, app_tag_groups, schema.app_id, values["name"], "tag_group_exists")
    group_id = (await conn.execute(insert(app_tag_groups).values(
        app_id=schema.app_id, name=values["name"], color=values.get("color"), position=values.get("position") or 0,
        created_at=utcnow()).returning(app_tag_groups.c.id))).scalar_one()
    return _group(await _group_row(conn, schema.app_id, group_id))


async def change_group(conn, schema: AppSchema, group_id: int, values: dict) -> dict:
    await _group_row(conn, schema.app_id, group_id)
    if values.get("name") is not None:
        await _name_free(conn, app_tag_groups, schema.app_id, values["name"], "tag_group_exists", exclude=group_id)
    changes = {k: (v or 0 if k == "position" else v) for k, v in values.items() if k in ("name", "color", "position")
               and not (k == "name" and v is None)}
    if changes:
        await conn.execute(update(app_tag_groups).where(app_tag_groups.c.id == group_id).values(**changes))
    return _group(await _group_row(conn, schema.app_id, group_id))


async def delete_group(conn, schema: AppSchema, group_id: int) -> None:
    """The group goes; its tags stay in the library, ungrouped."""
    await _group_row(conn, schema.app_id, group_id)
    await conn.execute(update(app_tags).where(app_tags.c.group_id == group_id).values(group_id=None))
    await conn.execute(delete(app_tag_groups).where(app_tag_groups.c.id == group_id))


async def _group_row(conn, app_id: int, group_id: int):
    row = (await conn.execute(select(app_tag_groups).where(
        app_tag_groups.c.app_id == app_id, app_tag_groups.c.id == group_id))).mappings().first()
    if row is None:
        raise not_found(f"tag group {group_id}")
    return row


# ---- records --------------------------------------------------------------------------------------------------
async def rewrite_records(conn, schema: AppSchema, ctx, old: str, new: str | None,
                          user_id: int | None) -> dict[str, int]:
    """`old` renamed to `new` (or removed, when new is None) in every record's tags fields: one UPDATE per field.
    Returns "form.field" → records changed."""
    from runtime.reports import data_changed
    from runtime.write import RecordWriter

    changed: dict[str, int] = {}
    now = utcnow()
    for form, key in tags_fields(schema):
        table = form.table
        stored = table.c[form.fields[key].column.name]
        sqlite = conn.dialect.name == "sqlite"
        statement = (update(table).where(list_contains(stored, old, sqlite))
                     .values({stored: _rewritten(stored, old, new, sqlite), table.c.version: table.c.version + 1,
                              table.c.updated_at: now, table.c.updated_by: user_id})
                     .returning(table.c.id))
        ids = sorted((await conn.execute(statement)).scalars())
        if not ids:
            continue
        changed[f"{form.key}.{key}"] = len(ids)
        detail = {"field": key, "tag": old, "to": new} if new is not None else {"field": key, "tag": old}
        await conn.execute(insert(audit_log), [
            {"at": now, "user_id": user_id, "app_id": schema.app_id, "form": form.key, "record_id": i,
             "action": "tag_renamed" if new is not None else "tag_removed", "detail": detail} for i in ids])
        await RecordWriter(conn, schema, ctx, user_id).refresh(form.key, ids)
    if changed:
        await data_changed(conn, schema.app_id)
    return changed


def _rewritten(stored, old: str, new: str | None, sqlite: bool):
    """The list with `old` replaced by `new` where it first stood (a tag already there keeps its first place)
    or left out; an emptied list is empty (NULL), as the tags field stores it."""
    if sqlite:
        each = func.json_each(stored).table_valued("key", "value").alias("e")
        value = each.c.value if new is None else case((each.c.value == old, new), else_=each.c.value)
        kept = (select(value.label("v"), func.min(each.c.key).label("k")).select_from(each)
                .where(each.c.value != old) if new is None else
                select(value.label("v"), func.min(each.c.key).label("k")).select_from(each))
        ordered = kept.group_by(literal_column("v")).order_by(literal_column("k")).correlate_except(each).subquery()
        gathered = select(func.json_group_array(ordered.c.v)).scalar_subquery()
        return func.nullif(gathered, "[]")
    each = (func.jsonb_array_elements_text(stored).table_valued(column("value", String), with_ordinality="ordinality")
            .alias("e"))
    value = each.c.value if new is None else case((each.c.value == old, new), else_=each.c.value)
    kept = select(value.label("v"), func.min(each.c.ordinality).label("k")).select_from(each)
    if new is None:
        kept = kept.where(each.c.value != old)
    ordered = kept.group_by(literal_column("v")).correlate_except(each).subquery()
    gathered = select(func.jsonb_agg(literal_column("v ORDER BY k"))).select_from(ordered).scalar_subquery()
    return func.nullif(gathered, literal_column("'[]'::jsonb"))


