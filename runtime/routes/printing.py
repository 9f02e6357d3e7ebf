"""Print templates of a form and printed records: one record, or several in one document with page breaks."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Request, Response

from engines.print import CONTENT_POLICY
from engines.problems import Problem, ProblemsError
from runtime.deps import MAX_ID, CurrentUser, PlatformDep, RecordId, request_lang
from runtime.permissions import Access
from runtime.printing import MAX_PRINT_RECORDS, html_to_pdf, render_html, templates_of

router = APIRouter(prefix="/api/apps/{app}/forms/{form}", tags=["printing"])
_FORMAT = Query("html", pattern="^(html|pdf)$")
# Opened directly in a tab, the HTML is the template author's markup on our origin: no scripts, own origin.
_HTML_POLICY = CONTENT_POLICY + "; sandbox allow-modals"


@router.get("/print-templates")
async def list_templates(app: str, form: str, platform: PlatformDep, user: CurrentUser) -> dict:
    """The form's print templates, the one made from its layout last (`"default": true`)."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        (await Access.load(conn, schema, user, platform.settings.tz)).require(form, "read")
        choices = templates_of(schema, form)
    return {"items": [{**choice.definition.model_dump(mode="json"), "default": choice.index is None}
                      for choice in choices]}


@router.get("/records/{record_id}/print")
async def print_record(app: str, form: str, record_id: RecordId, request: Request, platform: PlatformDep,
                       user: CurrentUser, template: str | None = Query(None, max_length=40),
                       format: str = _FORMAT) -> Response:
    return await _printed(app, form, [record_id], template, format, request, platform, user)


@router.post("/records/print")
async def print_records(app: str, form: str, request: Request, platform: PlatformDep, user: CurrentUser,
                        body: Any = Body(...), format: str = _FORMAT) -> Response:
    """{"ids": [...], "template": "key"?, "format": "html"|"pdf"?} → one document, each record on new pages."""
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID
                                            for i in ids):
        raise ProblemsError([Problem("/ids", "bad_reference")])
    if not ids:
        raise ProblemsError([Problem("/ids", "no_records_to_print")])
    if len(ids) > MAX_PRINT_RECORDS:
        raise ProblemsError([Problem("/ids", "too_many_items", {"limit": MAX_PRINT_RECORDS})])
    template = body.get("template")
    if template is not None and not isinstance(template, str):
        raise ProblemsError([Problem("/template", "not_text")])
    chosen_format = body.get("format", format)
    if chosen_format not in ("html", "pdf"):
        raise ProblemsError([Problem("/format", "not_option", {"value": chosen_format, "options": "html, pdf"})])
    return await _printed(app, form, list(dict.fromkeys(ids)), template, chosen_format, request, platform, user)


async def _printed(app: str, form: str, ids: list[int], template: str | None, format: str, request: Request,
                   platform, user) -> Response:
    lang = request_lang(request)
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        access = await Access.load(conn, schema, user, platform.settings.tz)
        html, chosen = await render_html(conn, schema, platform.ctx, form, ids, template, user=user, lang=lang,
                                         access=access)
    name = f"{chosen.definition.name}-{ids[0]}" if len(ids) == 1 else f"{chosen.definition.name}-{len(ids)}"
    if format == "pdf":
        pdf = await html_to_pdf(html)
        return Response(pdf, media_type="application/pdf", headers=_disposition(name, "pdf", form))
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": _HTML_POLICY, "X-Content-Type-Options": "nosniff",
                             **_disposition(name, "html", form)})


def _disposition(name: str, extension: str, fallback: str) -> dict[str, str]:
    return {"Content-Disposition": f"inline; filename=\"{fallback}.{extension}\"; "
                                   f"filename*=UTF-8''{quote(f'{name}.{extension}')}"}
