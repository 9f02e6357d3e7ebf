"""Records of published forms: list, export, import, create, get, patch (optimistic version), delete, bulk."""
from __future__ import annotations

import csv
import json
import zipfile
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import func, select

from engines.problems import Problem, ProblemsError
from runtime.deps import MAX_ID, CurrentUser, PlatformDep, RecordId, request_lang, retry_lost_races
from runtime.errors import ApiError, not_found
from runtime.export import to_csv, to_xlsx
from runtime.importer import import_rows, preview, read_rows
from runtime.models import audit_log, users
from runtime.permissions import Access
from runtime.records import RecordReader, form_store, iso
from runtime.write import RecordWriter

router = APIRouter(prefix="/api/apps/{app}/forms/{form}/records", tags=["records"])
_LIST_PARAMS = {"filter", "sort", "page", "page_size", "q"}


async def _open(conn, platform, app: str, user):
    """The app's published schema and what this caller may do in it."""
    schema = await platform.schemas.get(conn, app, user.app_head)
    return schema, await Access.load(conn, schema, user, platform.settings.tz)


@router.get("")
async def list_records(app: str, form: str, request: Request, platform: PlatformDep, user: CurrentUser,
                       sort: str | None = Query(None, max_length=500), q: str | None = Query(None, max_length=200),
                       page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(50, ge=1, le=500),
                       filter: str | None = Query(None, max_length=4000)) -> dict:
    equals = {k: v for k, v in request.query_params.items() if k not in _LIST_PARAMS}
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access).list(
            form, equals=equals, sort=sort, q=q, page=page, page_size=page_size, filter=filter)


@router.post("", status_code=201)
@retry_lost_races
async def create_record(app: str, form: str, platform: PlatformDep, user: CurrentUser, body: Any = Body(...)) -> dict:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        record_id = await RecordWriter(conn, schema, platform.ctx, user.id, platform.settings, access).create(form, body)
        return await RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access).get(form, record_id)


@router.post("/bulk", status_code=201)
@retry_lost_races
async def bulk_create(app: str, form: str, platform: PlatformDep, user: CurrentUser, body: Any = Body(...)) -> dict:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProblemsError([Problem("/items", "not_list")])
    limit = platform.settings.max_bulk_items
    if len(items) > limit:
        raise ProblemsError([Problem("/items", "too_many_items", {"limit": limit})])
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        ids = await RecordWriter(conn, schema, platform.ctx, user.id, platform.settings, access).create_many(form, items)
    return {"count": len(ids), "ids": ids}


@router.get("/export")
async def export_records(app: str, form: str, request: Request, platform: PlatformDep, user: CurrentUser,
                         format: str = Query("xlsx", pattern="^(xlsx|csv)$"), sort: str | None = Query(None, max_length=500),
                         q: str | None = Query(None, max_length=200),
                         filter: str | None = Query(None, max_length=4000)) -> Response:
    """Every record that matches, as an Excel or CSV file (no lock-in: your data leaves whenever you want)."""
    equals = {k: v for k, v in request.query_params.items() if k not in _LIST_PARAMS | {"format"}}
    lang = request_lang(request)
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        store = form_store(schema, form)
        access.require(form, "export")
        reader = RecordReader(conn, schema, platform.ctx, user.id, access=access)
        query = {"equals": equals, "sort": sort, "q": q, "filter": filter}
        body = await (to_csv if format == "csv" else to_xlsx)(reader, store, lang, **query)
    filename = quote(f"{store.definition.name}.{format}")
    media = "text/csv; charset=utf-8" if format == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename=\"{form}.{format}\"; filename*=UTF-8''{filename}"})


_FILE_ERRORS = (ValueError, KeyError, zipfile.BadZipFile, csv.Error, UnicodeDecodeError, InvalidFileException)


def _bad_file(error: Exception) -> ApiError:
    return ApiError(422, "validation_failed", [Problem("/file", "bad_file", {"error": str(error)[:200]})], count=1)


@router.post("/import/preview")
async def import_preview(app: str, form: str, platform: PlatformDep, user: CurrentUser, file: UploadFile) -> dict:
    """The mapping step of an import: the file's headers and first rows, the columns matched to fields by label
    or key, and the fields a column may be mapped to. Nothing is written."""
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        access.require(form, "import")
    closed = access.closed(form)
    try:
        shown = preview(form_store(schema, form), read_rows(file.filename or "", file.file))
    except _FILE_ERRORS as e:
        raise _bad_file(e) from None
    shown["fields"] = [f for f in shown["fields"] if f["key"] not in closed]
    shown["mapping"] = {header: key for header, key in shown["mapping"].items() if key not in closed}
    return shown


@router.post("/import")
async def import_records(app: str, form: str, request: Request, platform: PlatformDep, user: CurrentUser,
                         file: UploadFile, mapping: str | None = Form(None),
                         mode: str = Form("all_or_nothing", pattern="^(all_or_nothing|good_rows)$"),
                         dry_run: bool = Form(False)) -> Response:
    """Rows of an .xlsx or .csv file as new records. `mapping` (JSON) maps column headers to field keys when
    they are neither ("" leaves a column out); by default nothing is written unless every row is good. A dry run
    checks every row the same way, writes nothing and answers 200 with `valid` and the per-row errors."""
    try:
        given = json.loads(mapping) if mapping else None
        if given is not None and not (isinstance(given, dict) and all(isinstance(v, str) for v in given.values())):
            raise ValueError("mapping must be an object of header → field key")
    except ValueError as e:
        raise ProblemsError([Problem("/mapping", "schema", {"message": str(e)})]) from None
    lang = request_lang(request)
    async with platform.engine.connect() as conn:
        transaction = await conn.begin()
        schema, access = await _open(conn, platform, app, user)
        access.require(form, "import")
        writer = RecordWriter(conn, schema, platform.ctx, user.id, platform.settings, access)
        try:
            rows = read_rows(file.filename or "", file.file)
            # a dry run keeps going past bad rows, so every good row is counted and every bad one reported
            report, keep = await import_rows(conn, schema, form, rows, writer, given,
                                             dry_run or mode == "good_rows", lang)
        except _FILE_ERRORS as e:
            await transaction.rollback()
            raise _bad_file(e) from None
        if dry_run:
            await transaction.rollback()
            return JSONResponse(report.dry_run_body())
        if keep:
            await transaction.commit()
        else:
            await transaction.rollback()
    return JSONResponse(report.body(written=keep), status_code=200 if keep else 422)


@router.get("/{record_id}")
async def get_record(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        return await RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access).get(form, record_id)


@router.patch("/{record_id}")
@retry_lost_races
async def patch_record(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser,
                       body: Any = Body(...)) -> dict:
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version <= MAX_ID:
        raise ProblemsError([Problem("/version", "required")])
    values = {k: v for k, v in body.items() if k != "version"}
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        await RecordWriter(conn, schema, platform.ctx, user.id, platform.settings, access).update(form, record_id, values, version)
        return await RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access).get(form, record_id)


@router.delete("/{record_id}", status_code=204)
@retry_lost_races
async def delete_record(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser) -> Response:
    async with platform.begin() as conn:
        schema, access = await _open(conn, platform, app, user)
        await RecordWriter(conn, schema, platform.ctx, user.id, platform.settings, access).delete(form, record_id)
    return Response(status_code=204)


@router.get("/{record_id}/audit")
async def record_history(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser,
                         page: int = Query(1, ge=1, le=100_000), page_size: int = Query(50, ge=1, le=200)) -> dict:
    """Who created, changed (which fields, old → new), merged or deleted this record, newest first. Needs the right
    to read the record; fields hidden from the caller are left out of the changes."""
    async with platform.engine.connect() as conn:
        schema, access = await _open(conn, platform, app, user)
        store = form_store(schema, form)
        access.require(form, "read")
        if access.restricted and not await access.visible(conn, store, "read", record_id):
            raise not_found(f"record {record_id}")  # (admins also see the history of deleted records)
        where = (audit_log.c.app_id == schema.app_id, audit_log.c.form == form, audit_log.c.record_id == record_id)
        total = (await conn.execute(select(func.count()).select_from(audit_log).where(*where))).scalar_one()
        rows = (await conn.execute(
            select(audit_log, users.c.name.label("user_name")).outerjoin(users, users.c.id == audit_log.c.user_id)
            .where(*where).order_by(audit_log.c.id.desc()).limit(page_size).offset((page - 1) * page_size))).all()
    hidden = access.hidden(form)
    hidden_in_rows = {key: access.hidden(f"{form}.{key}") for key, s in store.fields.items() if s.child is not None}

    def strip_rows(key, rows):
        if key not in hidden_in_rows or not isinstance(rows, list):
            return rows
        return [{k: v for k, v in row.items() if k not in hidden_in_rows[key]} if isinstance(row, dict) else row
                for row in rows]

    def visible(detail):
        """The entry without what the caller may not see: hidden fields, hidden columns of sub-table rows."""
        if not isinstance(detail, dict):
            return detail
        shown = {}
        for part, values in detail.items():
            if isinstance(values, dict):
                values = {key: ([strip_rows(key, side) for side in value] if part == "changes" and isinstance(value, list)
                                else strip_rows(key, value))
                          for key, value in values.items() if key not in hidden}
            shown[part] = values
        return shown

    items = [{"id": r.id, "at": iso(r.at, platform.ctx), "action": r.action,
              "user": None if r.user_id is None else {"id": r.user_id, "name": r.user_name},
              "detail": visible(r.detail)} for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}
