"""The app lifecycle: import, draft, publish, versions, rollback, export. All-or-nothing, one transaction each."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from builder.model import AppDef
from builder.validate import validate_app
from engines.form.fields.base import Context
from engines.problems import Problem, ProblemsError
from runtime.audit import record_audit
from runtime.errors import ApiError, not_found
from runtime.models import app_versions, apps
from runtime.publish import publish_tables
from runtime.write import utcnow


async def app_row(conn: AsyncConnection, key: str):
    row = (await conn.execute(select(apps).where(apps.c.key == key))).first()
    if row is None:
        raise not_found(f"app {key!r}")
    return row


async def version_definition(conn: AsyncConnection, app_id: int, version: int | None) -> dict | None:
    if version is None:
        return None
    return (await conn.execute(select(app_versions.c.definition).where(
        app_versions.c.app_id == app_id, app_versions.c.version == version))).scalar()


async def import_app(conn: AsyncConnection, doc: Any, ctx: Context, user_id: int | None) -> tuple[AppDef, int, int]:
    """A new app from a whole document → (definition, app id, version 1)."""
    app = validate_app(doc)
    if (await conn.execute(select(apps.c.id).where(apps.c.key == app.key))).first():
        raise ApiError(409, "app_exists", key=app.key)
    now = utcnow()
    app_id = (await conn.execute(insert(apps).values(
        key=app.key, name=app.name, description=app.description, created_at=now, updated_at=now)
        .returning(apps.c.id))).scalar_one()
    version = await publish(conn, app_id, app, ctx, user_id, note="import")
    await record_audit(conn, action="app_imported", user_id=user_id, app_id=app_id, detail={"version": version})
    return app, app_id, version


async def publish(conn: AsyncConnection, app_id: int, app: AppDef, ctx: Context, user_id: int | None,
                  note: str | None = None) -> int:
    row = (await conn.execute(select(apps).where(apps.c.id == app_id))).one()
    old_json = await version_definition(conn, app_id, row.current_version)
    old = AppDef.model_validate(old_json) if old_json else None
    await conn.run_sync(lambda sync_conn: publish_tables(sync_conn, app_id, app, old, ctx))
    version = ((await conn.execute(select(func.max(app_versions.c.version)).where(
        app_versions.c.app_id == app_id))).scalar() or 0) + 1
    now = utcnow()
    await conn.execute(insert(app_versions).values(
        app_id=app_id, version=version, definition=app.dump(), note=note, published_at=now, published_by=user_id))
    await conn.execute(update(apps).where(apps.c.id == app_id).values(
        current_version=version, name=app.name, description=app.description, updated_at=now))
    await _refresh_formulas(conn, row.key, app_id, version, app, old, ctx, user_id)
    if app.flows or (old is not None and old.flows):  # scheduled flows: the next slot of each, as now written
        from runtime.flows import arm_schedules

        await arm_schedules(conn, app_id, version, ctx.tz)
    if app.rules or (old is not None and old.rules):  # scheduled rules: the next slot of each, as now written
        from runtime.rules import arm_rule_schedules

        await arm_rule_schedules(conn, app_id, app.rules, ctx.tz)
    return version


_PRESENTATION = {"label", "description", "placeholder", "width", "hidden", "readonly"}


def _shape(form) -> list:
    """What computed values may depend on in a form's definition (labels and layout do not count)."""
    return [f.model_dump(exclude=_PRESENTATION) for f in form.fields]


async def _refresh_formulas(conn, key, app_id, version, app: AppDef, old: AppDef | None, ctx, user_id) -> None:
    """Recompute stored formulas, in SQL, for the forms whose fields changed in this version."""
    changed = [form for form in app.forms
               if old is None or old.form(form.key) is None or _shape(old.form(form.key)) != _shape(form)]
    if not changed:
        return
    from runtime.computed import recompute_all
    from runtime.tables import load_schema

    schema = await load_schema(conn, app_id, key, version)
    await recompute_all(conn, schema, ctx.tz, user_id, {form.key for form in changed})


def _validated_draft(key: str, doc: Any) -> AppDef:
    if isinstance(doc, dict) and doc.get("key") not in (None, key):
        raise ProblemsError([Problem("/key", "key_mismatch", {"key": doc.get("key"), "expected": key})])
    return validate_app(doc)


def draft_problems(key: str, doc: Any) -> list[Problem]:
    try:
        _validated_draft(key, doc)
    except ProblemsError as e:
        return e.problems
    return []


async def save_draft(conn: AsyncConnection, key: str, doc: Any) -> AppDef:
    row = await app_row(conn, key)
    app = _validated_draft(key, doc)
    await conn.execute(update(apps).where(apps.c.id == row.id).values(draft=app.dump(), draft_updated_at=utcnow()))
    return app


async def discard_draft(conn: AsyncConnection, key: str) -> None:
    row = await app_row(conn, key)
    if row.draft is None:
        raise ApiError(404, "no_draft", key=key)
    await conn.execute(update(apps).where(apps.c.id == row.id).values(draft=None, draft_updated_at=None))


async def publish_draft(conn: AsyncConnection, key: str, ctx: Context, user_id: int | None) -> int:
    row = await app_row(conn, key)
    if row.draft is None:
        raise ApiError(409, "no_draft", key=key)
    app = validate_app(row.draft)  # the format may have grown stricter since the draft was saved
    version = await publish(conn, row.id, app, ctx, user_id, note="publish")
    await record_audit(conn, action="app_published", user_id=user_id, app_id=row.id,
                       detail={"version": version, "previous": row.current_version})
    await conn.execute(update(apps).where(apps.c.id == row.id).values(draft=None, draft_updated_at=None))
    return version


async def rollback(conn: AsyncConnection, key: str, to_version: int, ctx: Context, user_id: int | None) -> int:
    """Publish an earlier version again as a new version; retired columns come back with their data."""
    row = await app_row(conn, key)
    definition = await version_definition(conn, row.id, to_version)
    if definition is None:
        raise ApiError(404, "unknown_version", key=key, version=to_version)
    version = await publish(conn, row.id, AppDef.model_validate(definition), ctx, user_id, note=f"rollback to {to_version}")
    await record_audit(conn, action="app_rolled_back", user_id=user_id, app_id=row.id,
                       detail={"version": version, "to": to_version, "previous": row.current_version})
    return version


async def versions(conn: AsyncConnection, key: str) -> list[dict]:
    row = await app_row(conn, key)
    result = await conn.execute(select(app_versions.c.version, app_versions.c.note, app_versions.c.published_at,
                                       app_versions.c.published_by)
                                .where(app_versions.c.app_id == row.id).order_by(app_versions.c.version.desc()))
    return [{"version": v, "note": n, "published_at": at.isoformat() + "Z", "published_by": by}
            for v, n, at, by in result.all()]
