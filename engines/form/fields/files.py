"""Uploaded files on a record: attachments (附件), images (图片) and a hand-drawn signature (手写签名).

Every file field stores one shape, a JSON list of {"token", "name", "size", "mime"} — a signature is a list of
one, so the runtime, exports and expressions handle the three types alike. Files are uploaded first
(POST /api/files answers a token); a record then names them by token. This engine cannot see the files table:
`coerce` checks the shape, the count and whatever name/size/mime the client sent, and the runtime
(runtime.files.check_files) replaces those by the stored truth and checks them again with `check_file`.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any, ClassVar

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.problems import Problem, pointer

MIB = 1024 * 1024
FILE_URL = "/api/files/{token}"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,48}$")
_URL_TOKEN = re.compile(r"/api/files/([A-Za-z0-9_-]{16,48})(?:[?#].*)?$")
# Raster formats browsers show and Pillow verifies: what an image or signature field accepts.
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
# Extensions whose content the runtime recognises; a file named so must really be of that type to match ".png".
SNIFFED_EXTENSIONS = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".bmp": "image/bmp", ".pdf": "application/pdf",
}
_ACCEPT = re.compile(r"^(\.[a-z0-9][a-z0-9._+-]{0,19}|[a-z0-9][a-z0-9.+-]*/(\*|[a-z0-9][a-z0-9.+-]*))$")
SIGNATURE_MAX_BYTES = 2 * MIB  # a canvas drawing is tens of kilobytes
_DATA_URL = re.compile(r"^data:(image/(?:png|jpeg));base64,(.*)$", re.S)
_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def file_url(token: str) -> str:
    return FILE_URL.format(token=token)


def limit_mb(size_bytes: float) -> str:
    return f"{size_bytes / MIB:g}"


def is_image(mime: str | None) -> bool:
    return mime in IMAGE_MIMES


def accepts(patterns: list[str], name: str, mime: str) -> bool:
    """Whether a file matches one of `patterns`: ".pdf", "image/*" or "application/pdf" (the HTML accept list)."""
    name, mime = name.lower(), mime.lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("."):
            sniffed = SNIFFED_EXTENSIONS.get(pattern)
            if name.endswith(pattern) and (sniffed is None or sniffed == mime or
                                           (pattern in (".jpg", ".jpeg") and mime == "image/jpeg")):
                return True
        elif pattern.endswith("/*"):
            if mime.startswith(pattern[:-1]):
                return True
        elif mime == pattern:
            return True
    return False


def decode_data_url(text: str) -> tuple[str, bytes]:
    """A `data:image/png;base64,…` URL (what a signature canvas gives) → (mime, bytes), or FieldError."""
    match = _DATA_URL.match(text.strip())
    if not match:
        raise FieldError("bad_data_url")
    mime, payload = match.groups()
    if len(payload) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise FieldError("file_too_large", name="signature", limit_mb=limit_mb(SIGNATURE_MAX_BYTES))
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise FieldError("bad_data_url") from None
    if not data.startswith(_MAGIC[mime]):  # the bytes must be what the URL says
        raise FieldError("bad_data_url")
    return mime, data


def _token(text: str) -> str:
    text = text.strip()
    url = _URL_TOKEN.search(text)  # a file URL the API handed out, or a spreadsheet cell holding one
    if url:
        return url.group(1)
    if not TOKEN.match(text):
        raise FieldError("bad_file_ref")
    return text


def _ref(item: Any, data_urls: bool) -> dict:
    """One file reference → {"token", and name/size/mime when the client sent them} or {"data_url"}."""
    if isinstance(item, str):
        if item.strip().startswith("data:"):
            if not data_urls:
                raise FieldError("bad_file_ref")
            decode_data_url(item)
            return {"data_url": item.strip()}
        return {"token": _token(item)}
    if not isinstance(item, dict) or not isinstance(item.get("token"), str):
        raise FieldError("bad_file_ref")
    ref: dict[str, Any] = {"token": _token(item["token"])}
    # What the client says about the file is checked now for a quick answer; the runtime replaces it.
    if isinstance(item.get("name"), str) and item["name"].strip():
        ref["name"] = item["name"].strip()[:255]
    if isinstance(item.get("size"), int) and not isinstance(item["size"], bool) and item["size"] >= 0:
        ref["size"] = item["size"]
    if isinstance(item.get("mime"), str) and item["mime"].strip():
        ref["mime"] = item["mime"].strip().lower()[:100]
    return ref


def _items(value: Any) -> list:
    if isinstance(value, str):
        if value.strip().startswith("data:"):
            return [value]
        return [part for part in re.split(r"[\s,，、]+", value) if part]  # "tok1, tok2" from a spreadsheet cell
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise FieldError("bad_file_ref")
    return value


class FilesDef(FieldBase):
    max_files: int = Field(default=10, ge=1, le=100)
    max_size_mb: float | None = Field(default=None, gt=0, le=10240,
                                      description="per file; the platform's upload limit applies as well")


class AttachmentDef(FilesDef):
    accept: list[str] | None = Field(default=None, max_length=50,
                                     description='extensions or MIME types, e.g. [".pdf", "image/*"]')


class SignatureDef(FieldBase):
    pass


class FileType(FieldType):
    """What the three file types share: the stored shape, counting, limits and URLs."""

    storage = "json"
    unique_ok = False
    expr_kind = "files"  # only blank or not in expressions: no comparison with text
    takes_data_urls: ClassVar[bool] = False

    def max_files(self, f) -> int:
        return f.max_files

    def max_bytes(self, f) -> float | None:
        return f.max_size_mb * MIB if getattr(f, "max_size_mb", None) else None

    def coerce(self, f, value, ctx):
        refs: list[dict] = []
        seen: set[str] = set()
        for item in _items(value):
            ref = _ref(item, self.takes_data_urls)
            if ref.get("token") in seen:
                continue
            seen.add(ref.get("token", ""))
            self.check_file(f, ref)
            refs.append(ref)
        if len(refs) > self.max_files(f):
            raise FieldError("too_many_items", limit=self.max_files(f))
        return refs or None

    def check_file(self, f, meta: dict) -> None:
        """One file against the field's limits, with what is known of it (all of it once the runtime looked)."""
        name = meta.get("name") or meta.get("token", "")
        limit = self.max_bytes(f)
        if limit is not None and meta.get("size") is not None and meta["size"] > limit:
            raise FieldError("file_too_large", name=name, limit_mb=limit_mb(limit))

    def file_tokens(self, f, stored: Any) -> list[str]:
        """The tokens a stored value names, for the runtime to look up (pending data URLs have none yet)."""
        return [item["token"] for item in stored or () if isinstance(item, dict) and item.get("token")]

    def dump(self, f, stored, ctx):
        if not stored:
            return None
        out = []
        for item in stored:
            shown = {key: item.get(key) for key in ("token", "name", "size", "mime")}
            shown["url"] = file_url(item["token"])
            if is_image(item.get("mime")):
                shown["thumb_url"] = shown["url"] + "?thumb=1"
            out.append(shown)
        return out

    def to_cell(self, f, dumped):
        # The file URLs: a person can open them, and an import reads them back as the same files.
        return ", ".join(item["url"] for item in dumped) if dumped else None


class Attachment(FileType):
    key = "attachment"
    icon = "PaperClipOutlined"
    label = ("附件", "Attachment")
    props = AttachmentDef
    widget = "attachment"

    def check_file(self, f, meta):
        super().check_file(f, meta)
        if f.accept and meta.get("name") and meta.get("mime") and not accepts(f.accept, meta["name"], meta["mime"]):
            raise FieldError("file_not_accepted", name=meta["name"], accept=", ".join(f.accept))

    def check_def(self, f):
        return [Problem(pointer("accept", i), "bad_accept", {"value": pattern})
                for i, pattern in enumerate(f.accept or ()) if not _ACCEPT.match(pattern.lower())]


class Image(FileType):
    key = "image"
    icon = "PictureOutlined"
    label = ("图片", "Image")
    props = FilesDef
    widget = "image"

    def check_file(self, f, meta):
        super().check_file(f, meta)
        if meta.get("mime") and not is_image(meta["mime"]):
            raise FieldError("not_image", name=meta.get("name") or meta.get("token", ""))


class Signature(Image):
    """One image, usually a PNG drawn on a canvas; the client may send it as a data: URL."""

    key = "signature"
    icon = "SignatureOutlined"
    label = ("手写签名", "Signature")
    props = SignatureDef
    widget = "signature"
    takes_data_urls = True

    def max_files(self, f) -> int:
        return 1

    def max_bytes(self, f) -> float | None:
        return SIGNATURE_MAX_BYTES
