"""Connector routes: the platform secret store (write-only), inbound connector calls, the connectors' log, and an
app's own OpenAPI document with its forms' real field schemas. The work is in runtime/connectors.py,
runtime/secrets.py and runtime/openapi_app.py."""
from __future__ import annotations

import json

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from engines.expr import EvalContext
from engines.form.fields.base import KEY_PATTERN
from runtime.audit import record_audit
from runtime.connectors import (apply_write, customer_events, definition, ingest_events, log_event, parse_payload,
                                utcnow, verify_inbound)
from runtime.deps import AdminUser, CurrentUser, PlatformDep
from engines.problems import ProblemsError
from runtime.errors import ApiError, not_found
from runtime.models import integration_log
from runtime.openapi_app import app_openapi
from runtime.secrets import check_name, delete_secret, put_secret, secret_names

router = APIRouter(tags=["connectors"])


class SecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=10_000)


@router.put("/api/admin/secrets/{name}", status_code=204)
async def set_secret(name: str, body: SecretIn, platform: PlatformDep, user: AdminUser) -> Response:
    """Sets (or replaces) a secret that connectors name in their `auth`; it is never shown again."""
    check_name(name)
    async with platform.begin() as conn:
        await put_secret(conn, platform.settings.secret_key, name, body.value, user.id)
        await record_audit(conn, action="secret_set", user_id=user.id, detail={"name": name})
    return Response(status_code=204)


@router.get("/api/admin/secrets")
async def list_secrets(platform: PlatformDep, user: AdminUser) -> dict:
    """Names and times only: values cannot be read back."""
    async with platform.engine.connect() as conn:
        return {"items": await secret_names(conn)}


@router.delete("/api/admin/secrets/{name}", status_code=204)
async def remove_secret(name: str, platform: PlatformDep, user: AdminUser) -> Response:
    async with platform.begin() as conn:
        if not await delete_secret(conn, name):
            raise not_found(f"secret {name!r}")
        await record_audit(conn, action="secret_deleted", user_id=user.id, detail={"name": name})
    return Response(status_code=204)


@router.post("/api/hooks/{app}/connectors/{connector}/{operation}")
async def inbound(app: str, connector: str, operation: str, request: Request, platform: PlatformDep) -> dict:
    """A call from the outside (an ERP, WeCom, a shop): verified by the connector's HMAC signature or token, then
    mapped into records (through the validated write path, all or nothing: 422 names the item and field) or into
    customer events. Refusals are in the connector's log."""
    raw = await request.body()
    refusal: list = []  # logged once the request's transaction is over (it rolls back)
    try:
        async with platform.begin() as conn:
            schema = await platform.schemas.get(conn, app)
            connector_def, op = definition(schema, connector, operation)
            if not op.inbound:
                raise ApiError(404, "not_inbound", connector=connector, operation=operation)
            if not await verify_inbound(conn, platform.settings, connector_def, request.headers, raw):
                refusal += [schema.app_id, "bad_signature", None]
                raise ApiError(401, "bad_signature")
            document = parse_payload(raw, request.headers.get("content-type", ""))
            if op.events is not None:
                events = customer_events(op, document, EvalContext(utcnow(), platform.settings.tz, None))
                return {"events": len(events), **await ingest_events(conn, schema, op.events.channel, events)}
            try:
                return await apply_write(conn, schema, connector, operation, op, document, platform.settings.tz)
            except (ProblemsError, ApiError) as error:
                refusal += [schema.app_id, "record_refused", str(error)]
                raise
    finally:
        if refusal:
            await _refused(platform, *refusal, connector=connector, operation=operation, request=request)


async def _refused(platform, app_id: int, code: str, message: str | None, *, connector: str, operation: str,
                   request: Request) -> None:
    """Logged in a transaction of its own: the request's is rolled back."""
    async with platform.begin() as conn:
        await log_event(conn, app_id, connector, operation, "error", code, message,
                        detail={"from": request.client.host if request.client else None})


@router.get("/api/apps/{app}/connectors/{connector}/log")
async def connector_log(app: str, connector: str, platform: PlatformDep, user: AdminUser,
                        page: int = Query(1, ge=1, le=100_000), page_size: int = Query(50, ge=1, le=500)) -> dict:
    """What the connector was refused (values a form would not take, bad signatures, calls that gave up), newest
    first."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        where = (integration_log.c.app_id == schema.app_id, integration_log.c.connector == connector)
        total = (await conn.execute(select(func.count()).select_from(integration_log).where(*where))).scalar_one()
        rows = (await conn.execute(select(integration_log).where(*where).order_by(integration_log.c.id.desc())
                                   .offset((page - 1) * page_size).limit(page_size))).all()
    items = [{"id": r.id, "at": r.at.isoformat() + "Z", "operation": r.operation, "level": r.level, "code": r.code,
              "message": r.message, "detail": r.detail} for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/api/apps/{app}/openapi.json")
async def openapi(app: str, platform: PlatformDep, user: CurrentUser) -> dict:
    """The app's REST API as OpenAPI 3.1: every form's record endpoints with its real field schemas, the API key
    scheme, outbound webhook payloads and the inbound connector endpoints."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
    if user.api_key is not None and user.api_key[0] != schema.app_id:
        raise ApiError(403, "forbidden")
    return app_openapi(schema)


_DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script>
const token = localStorage.getItem("nocode.token");  // signed in to the platform in this browser: use it
SwaggerUIBundle({{url: {url}, dom_id: "#swagger-ui", requestInterceptor: (r) => {{
  if (token && !r.headers.Authorization && !r.headers["X-API-Key"]) r.headers.Authorization = "Bearer " + token;
  return r; }}}});
</script></body></html>"""


@router.get("/api/apps/{app}/docs", include_in_schema=False)
async def docs(app: str = Path(pattern=KEY_PATTERN)) -> HTMLResponse:
    """Interactive docs of one app's API, from files shipped with the product (like /api/docs)."""
    return HTMLResponse(_DOCS_PAGE.format(title=f"{app} API", url=json.dumps(f"/api/apps/{app}/openapi.json")))
