"""The FastAPI application: routes, error shapes, body limit, and the built frontend at /."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from builder.routes import router as builder_router
from engines._registry import UnknownType
from engines.problems import Problem, ProblemsError, pointer
from runtime.db import create_engine
from runtime.deps import Platform, lost_race, request_lang
from runtime.errors import ApiError
from runtime.observability import RequestObserver
from runtime.routes.admin import router as admin_router
from runtime.routes.auth import router as auth_router
from runtime.routes.calendar import router as calendar_router
from runtime.routes.customers import router as customers_router
from runtime.routes.dedupe import router as dedupe_router
from runtime.routes.expr import router as expr_router
from runtime.routes.files import UPLOAD_PATH
from runtime.routes.files import router as files_router
from runtime.routes.flows import router as flows_router  # registers the flow_timer job kind too
from runtime.routes.health import router as health_router
from runtime.routes.notifications import router as notifications_router
from runtime.routes.people import router as people_router
from runtime.routes.printing import router as printing_router
from runtime.routes.record_detail import router as record_detail_router
from runtime.routes.records import router as records_router
from runtime.routes.regions import router as regions_router
from runtime.routes.reports import router as reports_router
from runtime.routes.rules import router as rules_router  # registers the rule_schedule job kind too
from runtime.routes.tags import router as tags_router
from runtime.routes.views import router as views_router
from runtime.routes.webhooks import router as webhooks_router  # registers the webhook_delivery job kind
from runtime.routes.connectors import router as connectors_router  # registers the connector_call job kind
from runtime.settings import Settings
from runtime.tables import SchemaCache

log = logging.getLogger("nocode")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner = None
        if settings.jobs_in_process:  # off when separate `nocode worker` processes run the jobs
            from runtime.jobs import Runner

            runner = Runner(app.state.platform.engine, settings)
            await runner.start()
        yield
        if runner is not None:
            await runner.stop()
        await app.state.platform.engine.dispose()

    app = FastAPI(title="nocode", version="0.1.0", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None, lifespan=lifespan)
    app.state.platform = Platform(settings, create_engine(settings.database_url), SchemaCache())
    for router in (auth_router, builder_router, records_router, expr_router, files_router, dedupe_router,
                   regions_router, printing_router, admin_router, flows_router, reports_router,
                   notifications_router, calendar_router, tags_router, rules_router, people_router):
        app.include_router(router)
    app.include_router(webhooks_router)
    app.include_router(connectors_router)
    app.include_router(health_router)
    app.include_router(customers_router)
    app.include_router(views_router)
    app.include_router(record_detail_router)
    _add_error_handlers(app)
    _serve_api_docs(app)
    _serve_frontend(app, settings.frontend_dir)
    limited = BodyLimit(app, settings.max_body_bytes, own_limit=(UPLOAD_PATH,), import_limit=settings.max_import_bytes)
    return RequestObserver(limited, settings)


def _reply(request: Request, error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(request_lang(request)), status_code=error.status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return _reply(request, exc)

    @app.exception_handler(ProblemsError)
    async def problems(request: Request, exc: ProblemsError):
        return _reply(request, ApiError(422, "validation_failed", exc.problems, count=len(exc.problems)))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError):
        details = []
        for err in exc.errors():
            loc = list(err.get("loc", []))
            if err.get("type") == "json_invalid":
                return _reply(request, ApiError(400, "not_json", error=err.get("ctx", {}).get("error", "")))
            where = loc[0] if loc else ""
            path = pointer(*loc[1:]) if where == "body" else (f"/{where}" + pointer(*loc[1:]) if where else "")
            details.append(Problem(path, "schema", {"message": err.get("msg", "")}))
        return _reply(request, ApiError(422, "validation_failed", details, count=len(details)))

    @app.exception_handler(UnknownType)
    async def unknown_type(request: Request, exc: UnknownType):
        return _reply(request, ApiError(422, "validation_failed", [Problem("", "schema", {"message": str(exc)})], count=1))

    @app.exception_handler(DBAPIError)
    async def database(request: Request, exc: DBAPIError):  # asyncpg reports a deadlock as a plain DBAPIError
        if lost_race(exc):
            log.warning("write lost a race on %s %s: %s", request.method, request.url.path, exc.orig)
            return _reply(request, ApiError(409, "write_conflict"))
        log.exception("database error on %s %s", request.method, request.url.path)
        return _reply(request, ApiError(500, "internal"))

    @app.exception_handler(OperationalError)
    async def operational(request: Request, exc: OperationalError):
        if lost_race(exc):  # psycopg's deadlock is an OperationalError
            return await database(request, exc)
        if "parser stack overflow" in str(exc.orig):  # SQLite's own nesting limit, below ours for some formulas
            problem = Problem("/expr", "expr_too_deep", {"limit": "SQLite", "column": 1, "position": 0})
            return _reply(request, ApiError(422, "validation_failed", [problem], count=1))
        log.exception("database error on %s %s", request.method, request.url.path)
        return _reply(request, ApiError(503 if "locked" in str(exc.orig) else 500, "internal"))

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError):
        log.warning("integrity error: %s", exc.orig)
        return _reply(request, ApiError(409, "conflict"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _reply(request, ApiError(404, "not_found", what=request.url.path))
        if exc.status_code == 413:
            limit = request.app.state.platform.settings.max_body_bytes
            return _reply(request, ApiError(413, "body_too_large", limit=limit))
        if exc.status_code == 405:
            return _reply(request, ApiError(405, "method_not_allowed"))
        return JSONResponse({"error": {"code": "http_error", "message": str(exc.detail), "details": []}},
                            status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _reply(request, ApiError(500, "internal"))


def _serve_api_docs(app: FastAPI) -> None:
    """Interactive API docs from files shipped with the product: private deployments often have no internet."""
    import swagger_ui_bundle
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    app.mount("/api/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="nocode API",
                                   swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/api/docs/assets/swagger-ui.css",
                                   swagger_favicon_url="/api/docs/assets/favicon-32x32.png")


def _serve_frontend(app: FastAPI, dist: Path) -> None:
    """The single-page app: real files from dist/, index.html for every other non-API path."""

    @app.get("/{path:path}", include_in_schema=False)
    async def frontend(path: str):
        if path.startswith("api/") or path == "api":
            raise ApiError(404, "not_found", what="/" + path)
        root = dist.resolve()
        index = root / "index.html"
        if not index.exists():
            raise ApiError(404, "not_found", what="frontend build (run make run)")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


class BodyLimit:
    """Refuses request bodies over the limit with 413, whether or not Content-Length was sent."""

    def __init__(self, app: FastAPI, limit: int, own_limit: tuple[str, ...] = (), import_limit: int | None = None):
        self.app, self.limit = app, limit
        self.import_limit = import_limit or limit  # spreadsheets of historical data are big; they are spooled to disk
        self.own_limit = own_limit  # paths that enforce a limit of their own while streaming (file uploads)
        self.state = app.state  # tests and the CLI reach the platform through app.state

    def __getattr__(self, name):
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            return await self._refuse(scope, send, 400, ApiError(400, "bad_query", [Problem("", "bad_text")]))
        if scope["type"] != "http" or scope["path"] in self.own_limit:
            return await self.app(scope, receive, send)
        spreadsheet = scope["path"].endswith(("/records/import", "/records/import/preview"))
        limit = self.import_limit if spreadsheet else self.limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await self._too_large(scope, send, limit)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413)
            return message

        await self.app(scope, limited_receive, send)

    async def _too_large(self, scope, send, limit: int):
        await self._refuse(scope, send, 413, ApiError(413, "body_too_large", limit=limit))

    async def _refuse(self, scope, send, status: int, error: ApiError):
        request = Request(scope)
        lang = "en" if request.headers.get("accept-language", "").lower().startswith("en") else self.state.platform.settings.lang
        await JSONResponse(error.body(lang), status_code=status)(scope, None, send)

