"""Customers across channels (docs/customers.md): channel events in, a customer's trail, identities and 360° view,
and merging two customers by hand."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from engines.problems import Problem, ProblemsError, pointer
from runtime.customer_events import CustomerView, identity_of, ingest, merge_by_hand
from runtime.deps import MAX_ID, CurrentUser, PlatformDep, RecordId, request_lang
from runtime.errors import ApiError
from runtime.permissions import Access

router = APIRouter(prefix="/api/apps/{app}", tags=["customers"])


async def _open(conn, platform, app: str, user):
    schema = await platform.schemas.get(conn, app)
    return schema, await Access.load(conn, schema, user, platform.settings.tz)


def _details(problems: list[Problem], lang: str) -> list[dict]:
    return [{"path": p.path, "code": p.code, "message": p.message(lang)} for p in problems]


@router.post("/events")
async def post_events(app: str, request: Request, platform: PlatformDep, user: CurrentUser,
                      body: Any = Body(...)) -> JSONResponse:
    """`{"channel": "miniapp", "events": [{"type", "occurred_at", "identities": {…}, "profile"?, "data"?, "id"?}]}`
    → per event the customer it resolved to. Bad events are listed under `rejected` and the others are taken;
    when no event could be taken the answer is 422 listing every problem. Needs `create` on the customer form."""
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    problems = [Problem(pointer(key), "unknown_key", {"key": key}) for key in body if key not in ("channel", "events")]
    channel, events = body.get("channel"), body.get("events")
    if not isinstance(channel, str) or not channel:
        problems.append(Problem("/channel", "required" if channel is None else "not_text"))
    if events is None:
        problems.append(Problem("/events", "required"))
    if problems:
        raise ProblemsError(problems)
    lang = request_lang(request)
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        _, form = identity_of(schema)
        access.require(form.key, "create")
        result = await ingest(conn, schema, channel, events, ctx=platform.ctx, user_id=user.id, access=access)
        if result["rejected"] and not result["accepted"] and not result["duplicates"]:
            everything = [p for item in result["rejected"] for p in item["problems"]]
            raise ApiError(422, "validation_failed", everything, count=len(everything))
    result["rejected"] = [{"index": item["index"], "problems": _details(item["problems"], lang)}
                          for item in result["rejected"]]
    return JSONResponse(result)


@router.get("/customers/{customer_id}/events")
async def customer_events(app: str, customer_id: RecordId, request: Request, platform: PlatformDep, user: CurrentUser,
                          channel: str | None = Query(None, max_length=40),
                          type: str | None = Query(None, max_length=60),
                          page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(50, ge=1, le=200)) -> dict:
    """The customer's behaviour trail, newest first, optionally of one channel and/or one event type."""
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        view = CustomerView(conn, schema, platform.ctx, access, platform.settings, request_lang(request))
        return await view.trail(customer_id, channel, type, page, page_size)


@router.get("/customers/{customer_id}/identities")
async def customer_identities(app: str, customer_id: RecordId, request: Request, platform: PlatformDep,
                              user: CurrentUser) -> dict:
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        view = CustomerView(conn, schema, platform.ctx, access, platform.settings, request_lang(request))
        return {"items": await view.identities(customer_id)}


@router.get("/customers/{customer_id}/360")
async def customer_360(app: str, customer_id: RecordId, request: Request, platform: PlatformDep,
                       user: CurrentUser) -> dict:
    """The record, identities, channels, recent events, related records (orders, follow-ups…), tags and merges."""
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        view = CustomerView(conn, schema, platform.ctx, access, platform.settings, request_lang(request))
        return await view.profile(customer_id)


@router.post("/customers/{customer_id}/merge")
async def merge_customer(app: str, customer_id: RecordId, platform: PlatformDep, user: CurrentUser,
                         body: Any = Body(...)) -> dict:
    """`{"other": id, "version"?: n}`: the other customer is folded into this one (kept), with its identities,
    events and every record pointing at it; the merge is recorded."""
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    problems = [Problem(pointer(key), "unknown_key", {"key": key}) for key in body if key not in ("other", "version")]
    other, version = body.get("other"), body.get("version")
    if other is None:
        problems.append(Problem("/other", "required"))
    elif isinstance(other, bool) or not isinstance(other, int) or not 0 < other <= MAX_ID:
        problems.append(Problem("/other", "bad_reference"))
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or not 0 < version <= MAX_ID):
        problems.append(Problem("/version", "not_integer"))
    if problems:
        raise ProblemsError(problems)
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await merge_by_hand(conn, schema, platform.ctx, user.id, access, customer_id, other, version)
