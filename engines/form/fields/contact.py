"""Phone numbers (mainland mobile, landline, international), email addresses and web links."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.text import as_text

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})(?:-(\d{1,6}))?$")
_INTERNATIONAL = re.compile(r"^\+\d{7,15}$")
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{9,11}(-\d{1,6})?|\+\d{7,15})$"  # the stored (and returned) forms
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class ContactDef(FieldBase):
    pass


class Phone(FieldType):
    key = "phone"
    icon = "PhoneOutlined"
    label = ("电话", "Phone")
    storage = "text"
    props = ContactDef
    widget = "phone"

    def json_schema(self, f):
        return {**super().json_schema(f), "format": "phone", "pattern": PHONE_PATTERN,
                "description": "手机 13800000000、座机 01012345678(-123) 或 +国际号码 / mobile, landline or +international"}

    def coerce(self, f, value, ctx):
        raw = as_text(value).strip()
        compact = re.sub(r"[\s()（）]", "", raw)
        if compact.startswith("+86"):
            compact = compact[3:].lstrip("-")
        elif compact.startswith("0086"):
            compact = compact[4:]
        if _MOBILE.match(compact.replace("-", "")):
            return compact.replace("-", "")
        landline = _LANDLINE.match(compact)
        if landline:  # one stored form, so unique checks see repeats: 01012345678 or 01012345678-123
            area, number, extension = landline.groups()
            return area + number + (f"-{extension}" if extension else "")
        if _INTERNATIONAL.match(compact.replace("-", "")):  # one stored form, so unique checks see repeats
            return compact.replace("-", "")
        raise FieldError("bad_phone", value=raw)


class Email(FieldType):
    key = "email"
    icon = "MailOutlined"
    label = ("邮箱", "Email")
    storage = "text"
    props = ContactDef
    widget = "email"

    def json_schema(self, f):
        return {**super().json_schema(f), "format": "email"}

    def coerce(self, f, value, ctx):
        text = as_text(value).strip()
        if len(text) > 254 or not _EMAIL.match(text):
            raise FieldError("bad_email", value=text)
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"


class Url(FieldType):
    key = "url"
    icon = "LinkOutlined"
    label = ("网址", "URL")
    storage = "text"
    props = ContactDef
    widget = "url"

    def json_schema(self, f):
        return {**super().json_schema(f), "format": "uri"}

    def coerce(self, f, value, ctx):
        text = as_text(value).strip()
        try:
            parts = urlsplit(text)
        except ValueError:
            raise FieldError("bad_url", value=text) from None
        if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > 2000 or " " in text:
            raise FieldError("bad_url", value=text)
        return text
