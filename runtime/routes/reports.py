"""Reports and dashboards: list, data, Excel export, and the designer's preview of an unsaved report."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import ValidationError

from engines.problems import Problem, ProblemsError, pointer
from engines.report.definition import ReportDef
from engines.report.source import source_problems
from engines.report.validate import ReportCheck
from runtime import reports
from runtime.deps import AdminUser, CurrentUser, PlatformDep, request_lang
from runtime.permissions import Access

router = APIRouter(prefix="/api/apps/{app}", tags=["reports"])
FILTER_PARAMS = {"filter"}


async def _open(conn, platform, app: str, user):
    schema = await platform.schemas.get(conn, app)
    return schema, await Access.load(conn, schema, user, platform.settings.tz)


async def _answer(platform, app: str, report_key: str, user, request: Request, filter: str | None) -> dict:
    tz = platform.settings.tz
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        report = reports.find_report(schema, report_key)
        filters = reports.Filters(schema, report, access, reports.local_today(tz))
        filters.expression(filter)
        filters.params({k: v for k, v in request.query_params.items() if k not in FILTER_PARAMS})
        filters.check()
        return await reports.run(conn, schema, access, report, tz, filters, request_lang(request))


@router.get("/reports")
async def list_reports(app: str, platform: PlatformDep, user: CurrentUser) -> dict:
    """The reports this viewer may open (those showing nothing hidden from them)."""
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        return {"items": reports.visible(schema, access)}


@router.get("/reports/{report}/data")
async def report_data(app: str, report: str, request: Request, platform: PlatformDep, user: CurrentUser,
                      filter: str | None = Query(None, max_length=4000)) -> dict:
    """Columns, rows, totals and the chart. Narrow it with `filter=EXPR` and `field=value` parameters: a date
    field takes `2026-01-01..2026-01-31` or `this_month`, a relation or member an id (or ids, comma-separated)."""
    return await _answer(platform, app, report, user, request, filter)


@router.get("/reports/{report}/export.xlsx")
async def export_report(app: str, report: str, request: Request, platform: PlatformDep, user: CurrentUser,
                        filter: str | None = Query(None, max_length=4000)) -> Response:
    answer = await _answer(platform, app, report, user, request, filter)
    body = reports.to_xlsx(answer, request_lang(request))
    filename = quote(f"{answer['report']['name']}.xlsx")
    disposition = f"attachment; filename=\"{report}.xlsx\"; filename*=UTF-8''{filename}"
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": disposition})


@router.post("/reports/preview")
async def preview_report(app: str, request: Request, platform: PlatformDep, user: AdminUser,
                         body: Any = Body(...)) -> dict:
    """An unsaved report run against the published app, for the designer; problems come back by place."""
    try:
        report = ReportDef.model_validate(body)
    except ValidationError as e:
        raise ProblemsError([Problem(pointer(*err["loc"]), "schema", {"message": err["msg"]}) for err in e.errors()])
    tz = platform.settings.tz
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        forms = {f.key: f for f in schema.definition.forms}
        problems = source_problems(report.source, forms) or ReportCheck(report, forms).problems()
        if problems:
            raise ProblemsError(problems)
        return await reports.run(conn, schema, access, report, tz, lang=request_lang(request))


@router.get("/dashboards/{dashboard}")
async def dashboard_data(app: str, dashboard: str, request: Request, platform: PlatformDep, user: CurrentUser) -> dict:
    """The dashboard's widgets with their data; query parameters are the shared filters' values by key."""
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await reports.dashboard(conn, schema, access, dashboard, dict(request.query_params),
                                       platform.settings.tz, request_lang(request))
