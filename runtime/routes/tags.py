"""The tag library (标签库) and segments (人群) of an app.

Tags: `GET /api/apps/{app}/tags` (groups, tags with counts per tags field, tags found in records but not listed);
`POST /tags`, `PATCH|DELETE /tags/{id}` — a new name renames the tag in every record, deleting takes it out of
every record; `POST /tag-groups`, `PATCH|DELETE /tag-groups/{id}`. The library is managed by administrators and
read by anyone who may read some form of the app.

Segments: `POST /api/apps/{app}/segments {"name", "form", "filter"}`, `GET /segments[?form=]` with live counts,
`GET /segments/{id}/records` (the records list with the segment's filter and the viewer's row scope),
`PATCH|DELETE /segments/{id}` (by their creator or an administrator).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from runtime import segments as segment_store
from runtime import tags as tag_store
from runtime.deps import AdminUser, CurrentUser, PlatformDep, request_lang
from runtime.permissions import Access
from runtime.records import RecordReader

router = APIRouter(prefix="/api/apps/{app}", tags=["tags and segments"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Color = Annotated[str, Field(pattern=r"^(#[0-9a-fA-F]{6}|[a-z]{3,20})$",
                             description="#rrggbb, or a palette name such as red, gold, green, blue, purple")]


class TagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: TagName
    group: int | None = Field(default=None, ge=1, description="the id of a tag group")
    color: Color | None = None
    description: str | None = Field(default=None, max_length=500)
    position: int | None = Field(default=None, ge=0, le=1_000_000)


class TagChange(TagIn):
    name: TagName | None = None


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    color: Color | None = None
    position: int | None = Field(default=None, ge=0, le=1_000_000)


class GroupChange(GroupIn):
    name: Name | None = None


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    form: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    filter: str = Field(min_length=1, max_length=4000, description="an expression, as the records API's filter")
    description: str | None = Field(default=None, max_length=500)


class SegmentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    form: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$")
    filter: str | None = Field(default=None, min_length=1, max_length=4000)
    description: str | None = Field(default=None, max_length=500)


async def _open(conn, platform, app: str, user):
    schema = await platform.schemas.get(conn, app)
    return schema, await Access.load(conn, schema, user, platform.settings.tz)


# ---- tags -----------------------------------------------------------------------------------------------------
@router.get("/tags")
async def tag_library(app: str, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        tag_store.require_reader(schema, access)
        return await tag_store.library(conn, schema, access)


@router.post("/tags", status_code=201)
async def add_tag(app: str, body: TagIn, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        return await tag_store.create_tag(conn, schema, body.model_dump())


@router.patch("/tags/{tag_id}")
async def change_tag(app: str, tag_id: Id, body: TagChange, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        return await tag_store.change_tag(conn, schema, platform.ctx, tag_id, body.model_dump(exclude_unset=True),
                                          user.id)


@router.delete("/tags/{tag_id}")
async def delete_tag(app: str, tag_id: Id, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        return {"records_changed": await tag_store.delete_tag(conn, schema, platform.ctx, tag_id, user.id)}


@router.post("/tag-groups", status_code=201)
async def add_group(app: str, body: GroupIn, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        return await tag_store.create_group(conn, schema, body.model_dump())


@router.patch("/tag-groups/{group_id}")
async def change_group(app: str, group_id: Id, body: GroupChange, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        return await tag_store.change_group(conn, schema, group_id, body.model_dump(exclude_unset=True))


@router.delete("/tag-groups/{group_id}", status_code=204)
async def delete_group(app: str, group_id: Id, platform: PlatformDep, user: AdminUser) -> Response:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        await tag_store.delete_group(conn, schema, group_id)
    return Response(status_code=204)


# ---- segments -------------------------------------------------------------------------------------------------
@router.get("/segments")
async def list_segments(app: str, request: Request, platform: PlatformDep, user: CurrentUser,
                        form: str | None = Query(None, max_length=40)) -> list[dict]:
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        reader = RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access)
        return await segment_store.listing(conn, schema, reader, access, request_lang(request), form)


@router.post("/segments", status_code=201)
async def add_segment(app: str, body: SegmentIn, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await segment_store.create(conn, schema, access, body.model_dump(), user.id)


@router.get("/segments/{segment_id}/records")
async def segment_records(app: str, segment_id: Id, platform: PlatformDep, user: CurrentUser,
                          sort: str | None = Query(None, max_length=500), q: str | None = Query(None, max_length=200),
                          page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(50, ge=1, le=500)) -> dict:
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        row = await segment_store.get_row(conn, schema, segment_id, access)
        reader = RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access)
        return await reader.list(row["form"], sort=sort, q=q, page=page, page_size=page_size, filter=row["filter"])


@router.patch("/segments/{segment_id}")
async def change_segment(app: str, segment_id: Id, body: SegmentChange, platform: PlatformDep,
                         user: CurrentUser) -> dict:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await segment_store.change(conn, schema, access, segment_id, body.model_dump(exclude_unset=True), user)


@router.delete("/segments/{segment_id}", status_code=204)
async def delete_segment(app: str, segment_id: Id, platform: PlatformDep, user: CurrentUser) -> Response:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        await segment_store.remove(conn, schema, access, segment_id, user)
    return Response(status_code=204)
