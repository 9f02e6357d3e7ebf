"""Codes with a fixed shape: 居民身份证号, 微信号, barcodes (EAN-13 checked) and colours (#RRGGBB)."""
from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.text import as_text
from engines.problems import Problem

# ---- 中华人民共和国居民身份证号码 (GB 11643-1999) -------------------------------------------------------------
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits."""
    remainder = (12 - sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def id_birth_date(number: str) -> date | None:
    """The birth date written in an 18-digit number (None when it is not a real date)."""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


def id_gender(number: str) -> str:
    """"male" or "female": the 17th digit is odd for men."""
    return "male" if int(number[16]) % 2 else "female"


def upgrade_id15(number: str) -> str:
    """A 15-digit number (issued before 1999, born 19YY) → the 18-digit number it became."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_digit(first17)


class IdNumberDef(FieldBase):
    old_form: Literal["upgrade", "reject"] = Field(
        default="upgrade", description="15-digit numbers: stored as the 18-digit number they became, or refused")


class IdNumber(FieldType):
    key = "id_number"
    icon = "IdcardOutlined"
    label = ("身份证号", "ID card number")
    storage = "text"
    props = IdNumberDef
    widget = "id_number"

    def coerce(self, f, value, ctx):
        raw = as_text(value)
        number = re.sub(r"[\s-]", "", raw).upper()
        if _ID15.match(number):
            if f.old_form == "reject":
                raise FieldError("id_number_old_form")
            number = upgrade_id15(number)
        if not _ID18.match(number):
            raise FieldError("bad_id_number", value=raw)
        if id_birth_date(number) is None:
            raise FieldError("bad_id_birth_date", value=number[6:14])
        if id_check_digit(number[:17]) != number[17]:
            raise FieldError("bad_id_checksum", value=raw)
        return number


# ---- 微信号 ----------------------------------------------------------------------------------------------------
_WECHAT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")


class WechatDef(FieldBase):
    pass


class Wechat(FieldType):
    key = "wechat"
    icon = "WechatOutlined"
    label = ("微信号", "WeChat ID")
    storage = "text"
    props = WechatDef
    widget = "wechat"

    def coerce(self, f, value, ctx):
        text = as_text(value).strip()
        if not _WECHAT.match(text):
            raise FieldError("bad_wechat", value=text)
        return text


# ---- barcodes ----------------------------------------------------------------------------------------------------
def ean13_ok(digits: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


_CODE128 = re.compile(r"^[\x20-\x7e]{1,80}$")
_LIMITS = {"any": 500, "code128": 80, "qrcode": 2000}


class BarcodeDef(FieldBase):
    format: Literal["any", "ean13", "code128", "qrcode"] = Field(
        default="any", description="ean13: 13 digits with a valid check digit; code128: printable ASCII")


class Barcode(FieldType):
    key = "barcode"
    icon = "BarcodeOutlined"
    label = ("条码", "Barcode")
    storage = "text"
    props = BarcodeDef
    widget = "barcode"

    def coerce(self, f, value, ctx):
        text = as_text(value).strip()
        if f.format == "ean13":
            if isinstance(value, int) and len(text) == 12:
                text = text.zfill(13)  # a spreadsheet kept the code as a number and dropped its leading 0
            if not re.fullmatch(r"\d{13}", text):
                raise FieldError("bad_barcode", format="EAN-13", value=text)
            if not ean13_ok(text):
                raise FieldError("bad_ean13_checksum", value=text)
            return text
        if len(text) > _LIMITS[f.format]:
            raise FieldError("too_long", limit=_LIMITS[f.format])
        if f.format == "code128" and not _CODE128.match(text):
            raise FieldError("bad_barcode", format="Code 128", value=text)
        if any(ord(c) < 32 for c in text if c not in "\t\n") or (f.format != "qrcode" and "\n" in text):
            raise FieldError("bad_barcode", format=f.format, value=text)
        return text


# ---- colours -----------------------------------------------------------------------------------------------------
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_RGB = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$", re.IGNORECASE)


class ColorDef(FieldBase):
    presets: list[str] | None = Field(default=None, max_length=50, description="swatches offered by the picker")


class Color(FieldType):
    key = "color"
    icon = "BgColorsOutlined"
    label = ("颜色", "Colour")
    storage = "text"
    props = ColorDef
    widget = "color"

    def coerce(self, f, value, ctx):
        text = as_text(value).strip()
        rgb = _RGB.match(text)
        if rgb and all(int(part) <= 255 for part in rgb.groups()):
            return "#" + "".join(f"{int(part):02X}" for part in rgb.groups())
        match = _HEX.match(text)
        if not match:
            raise FieldError("bad_color", value=text)
        digits = match.group(1).upper()  # one spelling (#RRGGBB, upper case), so equal colours compare equal
        return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))

    def check_def(self, f):
        problems = []
        for i, preset in enumerate(f.presets or []):
            try:
                self.coerce(f, preset, None)
            except FieldError as e:
                problems.append(Problem(f"/presets/{i}", e.code, e.params))
        return problems
