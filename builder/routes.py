"""Builder HTTP routes: import, list, draft, publish, versions, rollback, export, the format's schema."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from builder import install, lifecycle
from builder.model import app_json_schema
from engines.form.fields import FIELD_MODELS, FIELD_TYPES
from runtime.deps import AdminUser, CurrentUser, PlatformDep, request_lang
from runtime.errors import ApiError, detail, not_found
from runtime.models import app_versions, apps, user_roles
from runtime.permissions import Access

router = APIRouter(prefix="/api", tags=["builder"])


@router.get("/schema/app.json")
async def app_schema() -> dict:
    return app_json_schema()


@router.get("/field-types")
async def field_types(user: CurrentUser) -> list[dict]:
    return [{"key": t.key, "label": {"zh-CN": t.label[0], "en": t.label[1]}, "icon": t.icon, "widget": t.widget,
             "storage": t.storage, "unique": t.unique_ok, "generated": t.is_generated,
             "in_subtable": t.in_subtable and t.key != "subtable",
             "schema": FIELD_MODELS[t.key].model_json_schema()} for t in FIELD_TYPES]


@router.post("/apps/import", status_code=201)
async def import_app(platform: PlatformDep, user: AdminUser, demo_data: bool = False, body: Any = Body(...)) -> dict:
    """A whole document; with demo_data its seed records (`data`) come too (the demo recipe only from the gallery,
    where the scale is chosen)."""
    async with platform.begin() as conn:
        key, version, _ = await install.install(conn, body, platform.ctx, user.id, demo_data=demo_data, scale=0,
                                                settings=platform.settings)
    return {"key": key, "version": version}


@router.get("/templates")
async def templates(user: AdminUser) -> list[dict]:
    return install.gallery()


class InstallBody(BaseModel):
    key: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$", description="another key than the template's")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    demo_data: bool = False
    scale: float = Field(default=0.1, gt=0, le=5, description="size of the demo data; 1 is the recipe as written")


@router.post("/templates/{template}/install", status_code=201)
async def install_template(template: str, body: InstallBody, platform: PlatformDep, user: AdminUser) -> dict:
    doc = install.template(template)
    if doc is None:
        raise not_found(f"template {template!r}")
    doc.update({k: v for k, v in (("key", body.key), ("name", body.name)) if v})
    async with platform.begin() as conn:
        key, version, count = await install.install(conn, doc, platform.ctx, user.id, demo_data=body.demo_data,
                                                    scale=body.scale, settings=platform.settings)
    return {"key": key, "version": version, "demo_records": count}


@router.get("/apps")
async def list_apps(platform: PlatformDep, user: CurrentUser) -> list[dict]:
    query = (select(apps.c.key, apps.c.name, apps.c.description, apps.c.current_version, app_versions.c.definition,
                    app_versions.c.published_at, apps.c.draft_updated_at)
             .join(app_versions, (app_versions.c.app_id == apps.c.id) & (app_versions.c.version == apps.c.current_version))
             .order_by(apps.c.name))
    if getattr(user, "api_key", None) is not None:  # a key reaches its own app only
        query = query.where(apps.c.id == user.api_key[0])
    elif not user.is_admin:  # the apps where one holds a role
        query = query.where(apps.c.id.in_(select(user_roles.c.app_id).where(user_roles.c.user_id == user.id)))
    async with platform.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [{"key": r.key, "name": r.name, "description": r.description, "version": r.current_version,
             "published_at": r.published_at.isoformat() + "Z", "has_draft": r.draft_updated_at is not None,
             "forms": [{"key": f["key"], "name": f["name"]} for f in r.definition.get("forms", [])]} for r in rows]


async def _published(platform, key: str) -> dict:
    async with platform.engine.connect() as conn:
        row = await lifecycle.app_row(conn, key)
        definition = await lifecycle.version_definition(conn, row.id, row.current_version)
    if definition is None:
        raise not_found(f"app {key!r}")
    return definition


@router.get("/apps/{app}")
async def get_app(app: str, platform: PlatformDep, user: CurrentUser) -> dict:
    if not user.is_admin:
        async with platform.engine.connect() as conn:
            await Access.load(conn, await platform.schemas.get(conn, app), user, platform.settings.tz)
    return await _published(platform, app)


@router.get("/apps/{app}/export")
async def export_app(app: str, platform: PlatformDep, user: AdminUser) -> Response:
    definition = await _published(platform, app)
    return Response(json.dumps(definition, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{app}.json"'})


@router.get("/apps/{app}/draft")
async def get_draft(app: str, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.engine.connect() as conn:
        row = await lifecycle.app_row(conn, app)
    if row.draft is None:
        raise ApiError(404, "no_draft", key=app)
    return row.draft


@router.put("/apps/{app}/draft")
async def put_draft(app: str, platform: PlatformDep, user: AdminUser, body: Any = Body(...)) -> dict:
    async with platform.begin() as conn:
        await lifecycle.save_draft(conn, app, body)
    return {"key": app, "saved": True}


@router.delete("/apps/{app}/draft", status_code=204)
async def discard_draft(app: str, platform: PlatformDep, user: AdminUser) -> Response:
    async with platform.begin() as conn:
        await lifecycle.discard_draft(conn, app)
    return Response(status_code=204)


@router.post("/apps/{app}/draft/check")
async def check_draft(app: str, request: Request, platform: PlatformDep, user: AdminUser,
                      body: Any = Body(...)) -> dict:
    """Every problem of a working copy, by place, without saving it: the designers check as people edit."""
    async with platform.engine.connect() as conn:
        await lifecycle.app_row(conn, app)
    lang = request_lang(request)
    return {"problems": [detail(p, lang) for p in lifecycle.draft_problems(app, body)]}


@router.post("/apps/{app}/publish")
async def publish(app: str, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        version = await lifecycle.publish_draft(conn, app, platform.ctx, user.id)
    return {"key": app, "version": version}


class RollbackBody(BaseModel):
    version: int = Field(ge=1)


@router.post("/apps/{app}/rollback")
async def rollback(app: str, body: RollbackBody, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        version = await lifecycle.rollback(conn, app, body.version, platform.ctx, user.id)
    return {"key": app, "version": version}


@router.get("/apps/{app}/versions")
async def versions(app: str, platform: PlatformDep, user: AdminUser) -> list[dict]:
    async with platform.engine.connect() as conn:
        return await lifecycle.versions(conn, app)


@router.get("/apps/{app}/versions/{version}")
async def version(app: str, version: int, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.engine.connect() as conn:
        row = await lifecycle.app_row(conn, app)
        definition = await lifecycle.version_definition(conn, row.id, version)
    if definition is None:
        raise ApiError(404, "unknown_version", key=app, version=version)
    return definition
