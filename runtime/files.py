"""Uploaded files: streamed to disk under the data dir, recorded in the `files` table, named by a random token.

Layout: <data_dir>/files/<yyyy>/<mm>/<token> — one copy per upload, not content-addressed, so deleting or
replacing one upload can never take another record's file with it and no reference counting is needed; the
sha256 column still lets a later job find twins or check integrity. Thumbnails are cached in files/thumbs/.
The MIME type is what the bytes are (magic numbers, Pillow for images), never only what the client claims.
Record writes check the tokens they name with `check_files`; record output hands out `signed_url`s, which
work where no Authorization header can be sent (<img src>).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import mimetypes
import os
import re
import secrets
import time
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import quote

import anyio.to_thread
from PIL import Image, ImageOps
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.form.fields import field_type
from engines.form.fields.base import FieldError
from engines.form.fields.files import FileType, decode_data_url, file_url, limit_mb
from engines.problems import Problem, pointer
from runtime.errors import ApiError
from runtime.models import files
from runtime.settings import Settings

log = logging.getLogger("nocode.files")

SIGNED_URL_TTL = 3600
_EXPIRY_STEP = 300  # signed expiries are rounded up to 5 minutes, so a page reload reuses cached images
THUMB_SIZE = 256
HEAD_BYTES = 8192  # what sniffing looks at
MAX_IMAGE_PIXELS = 80_000_000  # bigger images are not trusted as images (decompression bombs)

# Magic numbers at offset 0 → MIME type.
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"), (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"), (b"\x1f\x8b", "application/gzip"), (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"), (b"ID3", "audio/mpeg"), (b"OggS", "audio/ogg"), (b"fLaC", "audio/flac"),
    (b"\x1aE\xdf\xa3", "video/webm"),
]
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_FTYP = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"avif": "image/avif",
         b"qt  ": "video/quicktime", b"M4A ": "audio/mp4"}
# ZIP and OLE containers: the extension says which office format, once the bytes say it is a container at all.
_ZIP_KINDS = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".apk", ".jar"}
_OLE_KINDS = {".doc", ".xls", ".ppt", ".msg"}
_PILLOW_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp", "BMP": "image/bmp"}
_INLINE = set(_PILLOW_FORMATS.values()) | {"application/pdf"}


class FileTooLarge(Exception):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"larger than {limit} bytes")


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 random bits


def clean_name(raw: str | None) -> str:
    """A client's file name → a name safe to show and to send back: no folders, no control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]  # "C:\fakepath\a.pdf", "../../etc/passwd"
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # controls, and U+202E tricks
    name = name.strip().rstrip(". ")
    if not name.strip("."):
        return "file"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 20 else ""
        name = stem[:255 - len(ext)] + ext
    return name


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as e:
            if encoding == "utf-8" and e.start >= len(head) - 3 and len(head) == HEAD_BYTES:
                return True  # a character cut by the end of the sniffed head
    return False


def sniff(head: bytes, name: str, images: bool = True) -> str:
    """The type the first bytes show; the name only picks among container formats or names plain text.
    `images=False` once Pillow refused the file: its image magic number lied."""
    ext = os.path.splitext(name)[1].lower()
    for magic, mime in _MAGIC:
        if head.startswith(magic) and (images or not mime.startswith("image/")):
            return mime
    if head[:4] == b"RIFF" and head[8:12] in _RIFF and (images or head[8:12] != b"WEBP"):
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        return _FTYP.get(head[8:12], "video/mp4")
    if head.startswith(b"PK\x03\x04"):
        return (mimetypes.guess_type("x" + ext)[0] or "application/zip") if ext in _ZIP_KINDS else "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (mimetypes.guess_type("x" + ext)[0] or "application/x-ole-storage") if ext in _OLE_KINDS \
            else "application/x-ole-storage"
    guessed = mimetypes.guess_type("x" + ext)[0] or ""
    if _is_text(head):
        textual = guessed.startswith("text/") or guessed in ("application/json", "application/xml", "image/svg+xml")
        return guessed if textual else "text/plain"
    # An unknown binary may keep its extension's type, unless that type is one the bytes would have shown.
    if guessed and not guessed.startswith(("image/", "text/")) and guessed not in _INLINE \
            and guessed not in ("application/zip", "application/x-ole-storage"):
        return guessed
    return "application/octet-stream"


def _verify_image(path: Path, mime: str) -> bool:
    """Pillow agrees the file is a whole image of that format, and not a decompression bomb."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if _PILLOW_FORMATS.get(image.format or "") != mime or image.width * image.height > MAX_IMAGE_PIXELS:
                    return False
                image.verify()
        return True
    except Exception:  # Pillow raises many kinds for broken or hostile files
        return False


@dataclass
class Blob:
    """Bytes on disk, not yet in the files table."""
    token: str
    name: str
    size: int
    sha256: str
    mime: str
    path: str  # relative to the data dir

    def meta(self) -> dict:
        return {"token": self.token, "name": self.name, "size": self.size, "mime": self.mime}


class BlobWriter:
    """Writes one upload in chunks to a temporary file, hashing and counting; over the limit it stops at once."""

    def __init__(self, settings: Settings, limit: int | None = None):
        self.root = settings.data_dir
        self.limit = settings.max_upload_bytes if limit is None else limit
        self.token = new_token()
        self.size = 0
        self.head = b""
        self.hash = hashlib.sha256()
        tmp = self.root / "files" / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp / f"{self.token}.part"
        self.handle = open(self.tmp, "xb")

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self.discard()
            raise FileTooLarge(self.limit)
        if len(self.head) < HEAD_BYTES:
            self.head += data[:HEAD_BYTES - len(self.head)]
        self.hash.update(data)
        await anyio.to_thread.run_sync(self.handle.write, data)

    async def finish(self, name: str | None) -> Blob:
        """Closes the file, finds its type and moves it to its place. The caller records it or deletes it."""
        self.handle.close()
        if self.size == 0:
            self.discard()
            raise FieldError("empty_file")
        name = clean_name(name)
        mime = sniff(self.head, name)
        if mime in _PILLOW_FORMATS.values() and not await anyio.to_thread.run_sync(_verify_image, self.tmp, mime):
            mime = sniff(self.head, name, images=False)  # not an image after all
        now = datetime.now(timezone.utc)
        relative = f"files/{now:%Y}/{now:%m}/{self.token}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.tmp, target)
        return Blob(self.token, name, self.size, self.hash.hexdigest(), mime, relative)

    def discard(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


async def save_bytes(settings: Settings, data: bytes, name: str, limit: int | None = None) -> Blob:
    writer = BlobWriter(settings, limit)
    try:
        await writer.write(data)
        return await writer.finish(name)
    except BaseException:
        writer.discard()
        raise


async def record_file(conn: AsyncConnection, settings: Settings, blob: Blob, *, app_id: int | None,
                      user_id: int | None) -> dict:
    """The files row for bytes already in place; if it cannot be written, the bytes go too."""
    try:
        await conn.execute(insert(files).values(
            token=blob.token, name=blob.name, mime=blob.mime, size=blob.size, sha256=blob.sha256, path=blob.path,
            app_id=app_id, created_by=user_id, created_at=datetime.now(timezone.utc).replace(tzinfo=None)))
    except BaseException:
        (settings.data_dir / blob.path).unlink(missing_ok=True)
        raise
    return blob.meta()


async def describe(conn: AsyncConnection, tokens: Iterable[str]) -> dict[str, Any]:
    """token → files row, for the tokens that exist."""
    wanted = list(dict.fromkeys(tokens))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), 500):  # bound parameters per statement stay few
        rows = await conn.execute(select(files).where(files.c.token.in_(wanted[start:start + 500])))
        found.update({row.token: row for row in rows})
    return found


def row_meta(row) -> dict:
    return {"token": row.token, "name": row.name, "size": row.size, "mime": row.mime}


def stored_path(settings: Settings, row) -> Path | None:
    """The file's bytes on disk, or None when they are gone (or the row points outside the data dir)."""
    root = (settings.data_dir / "files").resolve()
    path = (settings.data_dir / row.path).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


# ---- signed links --------------------------------------------------------------------------------------------
def _signature(settings: Settings, token: str, expires: int) -> str:
    message = f"file:{token}:{expires}".encode()  # "file:" keeps these apart from anything else the key signs
    digest = hmac.new(settings.secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(settings: Settings, token: str, ttl: int = SIGNED_URL_TTL, now: float | None = None,
               thumb: bool = False) -> str:
    """A URL that opens the file without an Authorization header until it expires (at least `ttl` seconds)."""
    expires = math.ceil(((time.time() if now is None else now) + ttl) / _EXPIRY_STEP) * _EXPIRY_STEP
    query = f"exp={expires}&sig={_signature(settings, token, expires)}"
    return f"{file_url(token)}?{'thumb=1&' if thumb else ''}{query}"


def check_signature(settings: Settings, token: str, expires: str | None, sig: str | None,
                    now: float | None = None) -> None:
    """Raises 403 unless `sig` signs this token until `expires`, and that moment is still to come."""
    if not expires or not sig or not (expires.isascii() and expires.isdigit()) or len(expires) > 12:
        raise ApiError(403, "bad_signature")
    if not hmac.compare_digest(_signature(settings, token, int(expires)), sig):
        raise ApiError(403, "bad_signature")
    if int(expires) <= (time.time() if now is None else now):
        raise ApiError(403, "link_expired")


def sign_files(settings: Settings, dumped: list[dict] | None, ttl: int = SIGNED_URL_TTL) -> list[dict] | None:
    """A file field's API value with signed `url` (and `thumb_url`), ready for <img src> and <a href>."""
    if not dumped:
        return dumped
    out = []
    for item in dumped:
        item = {**item, "url": signed_url(settings, item["token"], ttl)}
        if "thumb_url" in item:
            item["thumb_url"] = signed_url(settings, item["token"], ttl, thumb=True)
        out.append(item)
    return out


def sign_records(settings: Settings, fields: Iterable, records: list[dict], ttl: int = SIGNED_URL_TTL) -> None:
    """Signs the file URLs of API records in place, sub-table rows included (fields: the form's definitions)."""
    for f in fields:
        if isinstance(field_type(f.type), FileType):
            for record in records:
                if record.get(f.key):
                    record[f.key] = sign_files(settings, record[f.key], ttl)
        elif f.type == "subtable":
            for record in records:
                sign_records(settings, f.fields, record.get(f.key) or [], ttl)


# ---- thumbnails ----------------------------------------------------------------------------------------------
def _make_thumbnail(source: Path, target: Path, fmt: str) -> None:
    with Image.open(source) as image:
        image.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))  # JPEG: decode at a fraction of the size
        image = ImageOps.exif_transpose(image)  # phone photos are stored sideways with a rotation tag
        image.thumbnail((THUMB_SIZE, THUMB_SIZE))
        image = image.convert("RGB" if fmt == "JPEG" else "RGBA")
        partial = target.with_name(target.name + f".{secrets.token_hex(4)}.part")
        image.save(partial, fmt, **({"quality": 85} if fmt == "JPEG" else {"optimize": True}))
        os.replace(partial, target)  # readers never see half a thumbnail


async def thumbnail(settings: Settings, row, source: Path) -> tuple[Path, str]:
    """(path, mime) of the image's thumbnail, at most THUMB_SIZE on each side, made once and kept."""
    fmt, mime, ext = ("JPEG", "image/jpeg", "jpg") if row.mime == "image/jpeg" else ("PNG", "image/png", "png")
    target = settings.data_dir / "files" / "thumbs" / f"{row.token}.{ext}"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        await anyio.to_thread.run_sync(_make_thumbnail, source, target, fmt)
    return target, mime


def content_disposition(name: str, mime: str) -> str:
    """inline for what browsers show safely (images, PDF), attachment otherwise; RFC 5987 for any script."""
    stem, ext = os.path.splitext(name)
    ascii_stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip("_ ") or "file"
    ascii_ext = re.sub(r"[^A-Za-z0-9.]+", "", ext)
    kind = "inline" if mime in _INLINE else "attachment"
    return f"{kind}; filename=\"{ascii_stem}{ascii_ext}\"; filename*=UTF-8''{quote(name, safe='')}"


def shows_inline(mime: str) -> bool:
    return mime in _INLINE


# ---- record values -------------------------------------------------------------------------------------------
async def store_data_url(conn: AsyncConnection, settings: Settings, data_url: str, *, name: str = "signature",
                         app_id: int | None = None, user_id: int | None = None) -> dict:
    """A `data:image/png;base64,…` URL (a signature canvas) → a stored file; its {"token", "name", "size", "mime"}.
    Raises FieldError when it is not a whole PNG/JPEG image."""
    mime, data = decode_data_url(data_url)
    try:
        blob = await save_bytes(settings, data, f"{name}.{'png' if mime == 'image/png' else 'jpg'}")
    except FileTooLarge as e:
        raise FieldError("file_too_large", name=name, limit_mb=limit_mb(e.limit)) from None
    if blob.mime != mime:  # the header promised an image Pillow could not read
        (settings.data_dir / blob.path).unlink(missing_ok=True)
        raise FieldError("bad_data_url")
    return await record_file(conn, settings, blob, app_id=app_id, user_id=user_id)


def _file_values(fields: Iterable, values: dict, path: str):
    """(path of the field, definition, type, its list of file references) in one record, sub-table rows too."""
    for f in fields:
        value = values.get(f.key)
        if not value:
            continue
        ftype = field_type(f.type)
        if isinstance(ftype, FileType):
            yield path + pointer(f.key), f, ftype, value
        elif f.type == "subtable":
            for n, row in enumerate(value):
                yield from _file_values(f.fields, row, path + pointer(f.key, n))


async def check_files(conn: AsyncConnection, settings: Settings, fields: Iterable, items: list[dict],
                      prefix: Callable[[int], str] = lambda i: "", *, app_id: int | None = None,
                      user_id: int | None = None) -> list[Problem]:
    """The file references of coerced records (what the form engine gave) against the files table.

    In place: signature data URLs become stored files; each reference becomes the stored
    {"token", "name", "size", "mime"} (never what the client claimed), checked against the field's limits.
    Returns a problem for each unknown token or refused file; the caller writes nothing if there is one.
    """
    fields = list(fields)
    found = [entry for i, values in enumerate(items) for entry in _file_values(fields, values, prefix(i))]
    problems: list[Problem] = []
    for path, f, ftype, refs in found:
        for n, ref in enumerate(refs):
            if "data_url" in ref:
                try:
                    refs[n] = await store_data_url(conn, settings, ref["data_url"], name=f.key, app_id=app_id,
                                                   user_id=user_id)
                except FieldError as e:
                    problems.append(Problem(path + pointer(n), e.code, e.params))
    rows = await describe(conn, (ref["token"] for _, _, _, refs in found for ref in refs if "token" in ref))
    for path, f, ftype, refs in found:
        for n, ref in enumerate(refs):
            if "token" not in ref:
                continue  # a data URL that could not be stored, reported above
            row = rows.get(ref["token"])
            if row is None:
                problems.append(Problem(path + pointer(n), "unknown_file", {"token": ref["token"]}))
                continue
            refs[n] = row_meta(row)
            try:
                ftype.check_file(f, refs[n])
            except FieldError as e:
                problems.append(Problem(path + pointer(n), e.code, e.params))
    return problems


def too_large(limit: int, name: str | None) -> ApiError:
    return ApiError(413, "file_too_large", name=clean_name(name), limit_mb=limit_mb(limit))


__all__ = [
    "Blob", "BlobWriter", "FileTooLarge", "SIGNED_URL_TTL", "check_files", "check_signature", "clean_name",
    "content_disposition", "describe", "record_file", "save_bytes", "shows_inline", "sign_files", "sign_records",
    "signed_url", "sniff", "store_data_url", "thumbnail", "too_large",
]
