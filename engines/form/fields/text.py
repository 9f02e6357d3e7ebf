"""Single-line and multi-line text, with length and pattern constraints."""
from __future__ import annotations

import regex
from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.problems import Problem


class TextDef(FieldBase):
    max_length: int | None = Field(default=None, ge=1, le=1_000_000)
    min_length: int | None = Field(default=None, ge=0)
    pattern: str | None = Field(default=None, max_length=500)


def as_text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldError("not_text")
    return value if isinstance(value, str) else str(value)


def matches(pattern: str, text: str) -> bool:
    """Builders write the patterns, so a pathological one must not stall the server: bounded time."""
    try:
        return regex.fullmatch(pattern, text, timeout=0.05) is not None
    except TimeoutError:
        return False


class Text(FieldType):
    key = "text"
    icon = "FontSizeOutlined"
    label = ("单行文本", "Text")
    storage = "text"
    props = TextDef
    widget = "input"
    default_max = 200

    def coerce(self, f, value, ctx):
        text = as_text(value)
        limit = f.max_length or self.default_max
        if len(text) > limit:
            raise FieldError("too_long", limit=limit)
        if f.min_length and len(text) < f.min_length:
            raise FieldError("too_short", limit=f.min_length)
        if f.pattern and not matches(f.pattern, text):
            raise FieldError("pattern_mismatch", pattern=f.pattern)
        return text

    def check_def(self, f):
        if f.pattern:
            try:
                regex.compile(f.pattern)
            except regex.error as e:
                return [Problem("/pattern", "invalid_regex", {"error": str(e)})]
        return []


class LongText(Text):
    key = "long_text"
    icon = "AlignLeftOutlined"
    label = ("多行文本", "Long text")
    props = TextDef
    widget = "textarea"
    default_max = 50_000
