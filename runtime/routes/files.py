"""Files over HTTP: upload (multipart, streamed to disk) and download (Bearer token or a signed link)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import select

from engines.form.fields.base import FieldError
from engines.form.fields.files import TOKEN, file_url, is_image
from engines.problems import Problem
from runtime.deps import CurrentUser, PlatformDep, get_user
from runtime.errors import ApiError, not_found
from runtime.files import (SIGNED_URL_TTL, BlobWriter, FileTooLarge, check_signature, content_disposition, describe,
                           record_file, shows_inline, signed_url, stored_path, thumbnail, too_large)
from runtime.models import apps
from runtime.settings import Settings

UPLOAD_PATH = "/api/files"
router = APIRouter(prefix=UPLOAD_PATH, tags=["files"])
MULTIPART_SLACK = 64 * 1024  # boundaries, part headers and the small text fields around the file
_MAX_TEXT = 200  # bytes of one text field (the app key)
_MAX_PARTS = 10

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"},
                   "app": {"type": "string", "description": "key of the app the file belongs to"}}}}}}}


def _bad_multipart(error: str) -> ApiError:
    return ApiError(422, "validation_failed", [Problem("", "not_multipart", {"error": error})], count=1)


class _UploadReader:
    """Feeds the request body through a streaming multipart parser: the `file` part goes to a BlobWriter
    chunk by chunk, small text parts are kept; nothing else is buffered."""

    def __init__(self, settings: Settings, boundary: bytes):
        self.settings = settings
        self.writer: BlobWriter | None = None
        self.filename: str | None = None
        self.texts: dict[str, str] = {}
        self.parts = 0
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""
        self._target: str | None = None  # "file", a text field's name, or None to skip
        self._text = bytearray()
        self._pending: list[bytes] = []  # file data the parser handed over during one write
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
            "on_header_field": self._header_field, "on_header_value": self._header_value,
            "on_header_end": self._header_end, "on_headers_finished": self._headers_finished,
            "on_end": self._complete})
        self.complete = False

    def _begin(self):
        self._headers, self._target, self._text = {}, None, bytearray()
        self.parts += 1
        if self.parts > _MAX_PARTS:
            raise _bad_multipart(f"more than {_MAX_PARTS} parts")

    def _header_field(self, data, start, end):
        self._field += data[start:end]

    def _header_value(self, data, start, end):
        self._value += data[start:end]

    def _header_end(self):
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self):
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if name != "file" or self.writer is not None:
                raise _bad_multipart("send exactly one file, in the field \"file\"")
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self.writer = BlobWriter(self.settings)
            self._target = "file"
        elif name:
            self._target = name

    def _data(self, data, start, end):
        if self._target == "file":
            self._pending.append(bytes(data[start:end]))
        elif self._target is not None:
            self._text += data[start:end]
            if len(self._text) > _MAX_TEXT:
                raise _bad_multipart(f"the field {self._target!r} is longer than {_MAX_TEXT} bytes")

    def _complete(self):
        self.complete = True

    def _end(self):
        if self._target not in (None, "file"):
            self.texts[self._target] = self._text.decode("utf-8", "replace").strip()

    async def read(self, request: Request) -> None:
        try:
            async for chunk in request.stream():
                self.parser.write(chunk)
                for data in self._pending:
                    await self.writer.write(data)  # type: ignore[union-attr]
                self._pending.clear()
            self.parser.finalize()
            if not self.complete:  # a cut-off body (a dropped connection) must not leave half a file
                raise FormParserError("the body ended before the closing boundary")
        except FormParserError as e:
            self.discard()
            raise _bad_multipart(str(e)) from None
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.discard()


async def _app_id(platform, key: str | None) -> int | None:
    if not key:
        return None
    async with platform.engine.connect() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == key))).scalar()
    if app_id is None:
        raise ApiError(422, "validation_failed", [Problem("/app", "unknown_app", {"key": key})], count=1)
    return app_id


@router.post("", status_code=201, openapi_extra=_UPLOAD_BODY)
async def upload_file(request: Request, platform: PlatformDep, user: CurrentUser) -> JSONResponse:
    """One file as multipart/form-data (`file`, optional `app`) → {token, name, size, mime, url, signed_url}.
    A record names the file by its token."""
    settings = platform.settings
    limit = settings.max_upload_bytes
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise _bad_multipart("Content-Type is not multipart/form-data with a boundary")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + MULTIPART_SLACK:
        raise too_large(limit, None)  # refused before reading the body at all
    reader = _UploadReader(settings, options[b"boundary"])
    try:
        await reader.read(request)
    except FileTooLarge:
        raise too_large(limit, reader.filename) from None
    if reader.writer is None:
        raise ApiError(422, "validation_failed", [Problem("/file", "required")], count=1)
    try:
        app_id = await _app_id(platform, reader.texts.get("app") or request.query_params.get("app"))
        blob = await reader.writer.finish(reader.filename)
    except FieldError as e:
        reader.discard()
        raise ApiError(422, "validation_failed", [Problem("/file", e.code, e.params)], count=1) from None
    except BaseException:
        reader.discard()
        raise
    async with platform.begin() as conn:
        meta = await record_file(conn, settings, blob, app_id=app_id, user_id=user.id)
    body = {**meta, "url": file_url(blob.token), "signed_url": signed_url(settings, blob.token)}
    if is_image(blob.mime):
        body["thumb_url"] = body["url"] + "?thumb=1"
        body["signed_thumb_url"] = signed_url(settings, blob.token, thumb=True)
    return JSONResponse(body, status_code=201)


@router.get("/{token}", response_class=FileResponse)
async def download_file(token: str, request: Request, platform: PlatformDep, thumb: bool = False,
                        exp: str | None = None, sig: str | None = None) -> FileResponse:
    """The file's bytes. Sign in with a Bearer token, or use a signed link (`exp`, `sig`) from record output or
    the upload answer — <img src> cannot send headers. `thumb=1`: an image's thumbnail (at most 256 px)."""
    settings = platform.settings
    if request.headers.get("authorization") or (exp is None and sig is None):
        await get_user(request, platform)  # 401 without a valid token
    else:
        check_signature(settings, token, exp, sig)  # 403 when forged or expired
    if not TOKEN.match(token):
        raise not_found("file")
    async with platform.engine.connect() as conn:
        row = (await describe(conn, [token])).get(token)
    path = stored_path(settings, row) if row is not None else None
    if path is None:
        raise not_found("file")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": f"private, max-age={SIGNED_URL_TTL}"}
    if thumb:
        if not is_image(row.mime):
            raise ApiError(422, "validation_failed", [Problem("/query/thumb", "no_thumbnail")], count=1)
        thumb_path, mime = await thumbnail(settings, row, path)
        headers["Content-Disposition"] = content_disposition(row.name, mime)
        return FileResponse(thumb_path, media_type=mime, headers=headers)
    headers["Content-Disposition"] = content_disposition(row.name, row.mime)
    if not shows_inline(row.mime):  # a downloaded HTML or SVG file must not run as a page of this site
        headers["Content-Security-Policy"] = "sandbox"
    return FileResponse(path, media_type=row.mime, headers=headers)
