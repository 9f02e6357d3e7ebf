"""What the record page shows beside the record: the viewer's field access to a form, the records of other forms
that point at this one (docs/customers.md's 360° view for any form), and comments with @mentions.

- `GET /api/apps/{app}/forms/{form}/access` — the caller's operations and hidden / read-only fields, as the server
  enforces them (computed fields that read something hidden are hidden too).
- `GET …/records/{id}/related` — per relation pointing here: the form, the relation, how many records, the latest.
- `GET …/records/{id}/comments`, `POST` `{"text", "mentions": [user ids]}`, `DELETE …/comments/{cid}` (the author;
  platform admins any). Whoever may read the record may comment; people mentioned must be able to read it too, and
  get an in-app notification."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from sqlalchemy import delete, func, insert, select

from engines.problems import MESSAGES, Problem, ProblemsError
from runtime.auth import User
from runtime.deps import MAX_ID, CurrentUser, PlatformDep, RecordId, request_lang
from runtime.errors import ApiError, not_found
from runtime.models import notifications, record_comments, users
from runtime.permissions import Access
from runtime.records import RecordReader, form_store, iso
from runtime.related import related_records

router = APIRouter(prefix="/api/apps/{app}/forms/{form}", tags=["record detail"])
OPS = ("read", "create", "update", "delete", "import", "export")
MAX_COMMENT = 5000
MAX_MENTIONS = 20
SHOWN_COMMENTS = 500
CommentId = Annotated[int, Path(ge=1, le=MAX_ID, description="a comment id")]
MESSAGES.update({
    "comment_text": ("评论不能为空，最多 {limit} 个字符", "a comment needs text, at most {limit} characters"),
    "mention_unknown": ("成员 {id} 不存在或已停用", "person {id} does not exist or is inactive"),
    "mention_cannot_read": ("「{name}」无权查看这条记录，不能提及", "{name} may not read this record and cannot be mentioned"),
    "not_your_comment": ("只能删除自己的评论", "you may only delete your own comments"),
    "mentioned_title": ("{who} 在「{form}·{record}」的评论中提到了你", "{who} mentioned you on {form} · {record}"),
})


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


async def _record(conn, platform, app: str, form: str, record_id: int, user):
    """The schema, the caller's access and the record, which the caller must be able to read (else 404)."""
    schema = await platform.schemas.get(conn, app)
    access = await Access.load(conn, schema, user, platform.settings.tz)
    reader = RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access)
    return schema, access, reader, await reader.get(form, record_id)


@router.get("/access")
async def form_access(app: str, form: str, platform: PlatformDep, user: CurrentUser) -> dict:
    """The caller's rights on the form: `ops`, `hidden` and `readonly` field keys ("lines.cost" in sub-tables)."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        access = await Access.load(conn, schema, user, platform.settings.tz)
    store = form_store(schema, form)
    hidden, readonly = set(access.hidden(form)), access.closed(form) - access.hidden(form)
    for key, field in store.fields.items():
        if field.child is not None:
            inner = f"{form}.{key}"
            hidden |= {f"{key}.{k}" for k in access.hidden(inner)}
            readonly |= {f"{key}.{k}" for k in access.closed(inner) - access.hidden(inner)}
    return {"ops": [op for op in OPS if access.allows(form, op)], "hidden": sorted(hidden),
            "readonly": sorted(readonly)}


@router.get("/records/{record_id}/related")
async def related(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.engine.connect() as conn:
        schema, access, reader, _ = await _record(conn, platform, app, form, record_id, user)
        items = await related_records(conn, schema, access, reader, form_store(schema, form), record_id)
    return {"items": items}


def _comment(row, ctx, user, names: dict[int, str]) -> dict:
    return {"id": row.id, "text": row.text, "created_at": iso(row.created_at, ctx),
            "user": None if row.user_id is None else {"id": row.user_id, "name": row.user_name},
            "mentions": [{"id": i, "name": names.get(i, str(i))} for i in (row.mentions or [])],
            "can_delete": row.user_id == user.id or user.is_admin}


@router.get("/records/{record_id}/comments")
async def list_comments(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser) -> dict:
    """The record's comments, oldest first (the latest 500)."""
    async with platform.engine.connect() as conn:
        schema, *_ = await _record(conn, platform, app, form, record_id, user)
        where = (record_comments.c.app_id == schema.app_id, record_comments.c.form == form,
                 record_comments.c.record_id == record_id)
        total = (await conn.execute(select(func.count()).select_from(record_comments).where(*where))).scalar_one()
        rows = (await conn.execute(
            select(record_comments, users.c.name.label("user_name"))
            .outerjoin(users, users.c.id == record_comments.c.user_id)
            .where(*where).order_by(record_comments.c.id.desc()).limit(SHOWN_COMMENTS))).all()
        mentioned = {i for row in rows for i in (row.mentions or [])}
        names = dict((await conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(mentioned)))).all()) \
            if mentioned else {}
    return {"items": [_comment(row, platform.ctx, user, names) for row in reversed(rows)], "total": total}


def _parse_comment(body: Any) -> tuple[str, list[int]]:
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_COMMENT:
        raise ProblemsError([Problem("/text", "comment_text", {"limit": MAX_COMMENT})])
    mentions = body.get("mentions") or []
    if not isinstance(mentions, list) or len(mentions) > MAX_MENTIONS:
        raise ProblemsError([Problem("/mentions", "too_many_items", {"limit": MAX_MENTIONS})])
    for index, value in enumerate(mentions):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            raise ProblemsError([Problem(f"/mentions/{index}", "mention_unknown", {"id": value})])
    return text.strip(), list(dict.fromkeys(mentions))


async def _readers_among(conn, schema, platform, form: str, record_id: int, people: list[int]) -> dict[int, str]:
    """The mentioned people (id → name), each checked to exist, be active and be able to read the record."""
    found = {r.id: r for r in (await conn.execute(
        select(users.c.id, users.c.name, users.c.username, users.c.is_admin)
        .where(users.c.id.in_(people), users.c.is_active.is_(True)))).all()} if people else {}
    problems = []
    store = form_store(schema, form)
    for index, person in enumerate(people):
        row = found.get(person)
        if row is None:
            problems.append(Problem(f"/mentions/{index}", "mention_unknown", {"id": person}))
            continue
        try:
            access = await Access.load(conn, schema, User(row.id, row.username, row.name, row.is_admin),
                                       platform.settings.tz)
            readable = access.allows(form, "read") and await access.visible(conn, store, "read", record_id)
        except ApiError:  # no role in the app
            readable = False
        if not readable:
            problems.append(Problem(f"/mentions/{index}", "mention_cannot_read", {"name": row.name}))
    if problems:
        raise ProblemsError(problems)
    return {person: found[person].name for person in people}


@router.post("/records/{record_id}/comments", status_code=201)
async def add_comment(app: str, form: str, record_id: RecordId, request: Request, platform: PlatformDep,
                      user: CurrentUser, body: Any = Body(...)) -> dict:
    text, mentions = _parse_comment(body)
    lang = request_lang(request)
    async with platform.begin() as conn:
        schema, _, _, record = await _record(conn, platform, app, form, record_id, user)
        names = await _readers_among(conn, schema, platform, form, record_id, mentions)
        now = _now()
        comment_id = (await conn.execute(insert(record_comments).values(
            app_id=schema.app_id, form=form, record_id=record_id, user_id=user.id, text=text,
            mentions=mentions or None, created_at=now).returning(record_comments.c.id))).scalar_one()
        store = form_store(schema, form)
        title_key = store.definition.title_key()
        shown = record.get(title_key) if title_key else None
        title = Problem("", "mentioned_title", {
            "who": user.name or user.username, "form": store.definition.name,
            "record": shown if isinstance(shown, str) and shown else f"#{record_id}"}).message(lang)
        others = [person for person in mentions if person != user.id]
        if others:
            await conn.execute(insert(notifications), [
                {"user_id": person, "app_id": schema.app_id, "form": form, "record_id": record_id,
                 "reason": "mention", "channel": "in_app",
                 "title": title[:500], "text": text, "created_at": now} for person in others])
    return {"id": comment_id, "text": text, "created_at": iso(now, platform.ctx),
            "user": {"id": user.id, "name": user.name}, "can_delete": True,
            "mentions": [{"id": person, "name": names[person]} for person in mentions]}


@router.delete("/records/{record_id}/comments/{comment_id}", status_code=204)
async def delete_comment(app: str, form: str, record_id: RecordId, comment_id: CommentId, platform: PlatformDep,
                         user: CurrentUser) -> Response:
    async with platform.begin() as conn:
        schema, *_ = await _record(conn, platform, app, form, record_id, user)
        mine = (record_comments.c.id == comment_id, record_comments.c.app_id == schema.app_id,
                record_comments.c.form == form, record_comments.c.record_id == record_id)
        author = (await conn.execute(select(record_comments.c.user_id).where(*mine))).first()
        if author is None:
            raise not_found(f"comment {comment_id}")
        if author.user_id != user.id and not user.is_admin:
            raise ApiError(403, "not_your_comment")
        await conn.execute(delete(record_comments).where(*mine))
    return Response(status_code=204)
