"""Views of a form's records: `GET /api/apps/{app}/forms/{form}/views` lists the app's views and the caller's
saved ones; `POST` saves a view of theirs (the same shape as the app's `views`, docs/views.md); `PUT|DELETE
/views/{id}` change or remove one of their own. Moving a kanban card is an ordinary record PATCH with its version."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response

from runtime import views as view_store
from runtime.deps import CurrentUser, PlatformDep, request_lang
from runtime.permissions import Access

router = APIRouter(prefix="/api/apps/{app}/forms/{form}/views", tags=["views"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _open(conn, platform, app: str, user):
    schema = await platform.schemas.get(conn, app)
    return schema, await Access.load(conn, schema, user, platform.settings.tz)


@router.get("")
async def list_views(app: str, form: str, request: Request, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await view_store.listing(conn, schema, access, user.id, form, request_lang(request))


@router.post("", status_code=201)
async def save_view(app: str, form: str, platform: PlatformDep, user: CurrentUser, body: Any = Body(...)) -> dict:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await view_store.create(conn, schema, access, user.id, form, body)


@router.put("/{view_id}")
async def replace_view(app: str, form: str, view_id: Id, platform: PlatformDep, user: CurrentUser,
                       body: Any = Body(...)) -> dict:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await view_store.replace(conn, schema, access, user.id, form, view_id, body)


@router.delete("/{view_id}", status_code=204)
async def delete_view(app: str, form: str, view_id: Id, platform: PlatformDep, user: CurrentUser) -> Response:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        await view_store.remove(conn, schema, access, user.id, form, view_id)
    return Response(status_code=204)
