"""Dedupe and merge (查重合并): duplicate groups of a form, a check before saving, and merging records into one."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query

from engines.problems import Problem, ProblemsError, text_problems
from runtime.dedupe import DuplicateFinder, RecordMerger, parse_merge
from runtime.deps import CurrentUser, PlatformDep
from runtime.permissions import Access

router = APIRouter(prefix="/api/apps/{app}/forms/{form}", tags=["dedupe"])
_FIELDS = Query(None, max_length=500, description="key fields, comma-separated; default: the form's dedupe.keys")


@router.get("/duplicates")
async def list_duplicates(app: str, form: str, platform: PlatformDep, user: CurrentUser, fields: str | None = _FIELDS,
                          page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(20, ge=1, le=100)) -> dict:
    """Groups of records whose key field holds the same value once normalised (phone digits without +86, email
    case-blind, text trimmed), largest first: `{"groups": [{"field", "value", "count", "records"}], "total", …}`."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        access = await Access.load(conn, schema, user, platform.settings.tz)
        return await DuplicateFinder(conn, schema, platform.ctx, access).groups(form, fields, page, page_size)


@router.post("/duplicates/check")
async def check_duplicates(app: str, form: str, platform: PlatformDep, user: CurrentUser, fields: str | None = _FIELDS,
                           body: Any = Body(...)) -> dict:
    """The record being entered (its values; `id` when editing one) → existing records it would duplicate."""
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    if text_problems(body):
        raise ProblemsError(text_problems(body))
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        access = await Access.load(conn, schema, user, platform.settings.tz)
        return await DuplicateFinder(conn, schema, platform.ctx, access).matches(form, fields, body)


@router.post("/records/merge")
async def merge_records(app: str, form: str, platform: PlatformDep, user: CurrentUser, body: Any = Body(...)) -> dict:
    """`{"keep": id, "merge": [ids], "values": {field: value}, "version"?}` → the kept record and how many references
    were re-pointed per form.field. All or nothing."""
    request = parse_merge(body)
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        access = await Access.load(conn, schema, user, platform.settings.tz)
        return await RecordMerger(conn, schema, platform.ctx, user.id, access).merge(form, request)
