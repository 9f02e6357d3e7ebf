"""Rich text: HTML from the editor, sanitised with nh3 (the Ammonia sanitiser) before it is stored.

Only formatting, lists, tables, links (http/https/mailto) and images (http/https or files uploaded here) are
kept; scripts, styles, event handlers and other URL schemes are dropped, so stored HTML is safe to show.
"""
from __future__ import annotations

import html
import re

import nh3
from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.text import as_text

TAGS = {
    "p", "br", "hr", "div", "span", "strong", "b", "em", "i", "u", "s", "del", "strike", "ins", "mark", "small",
    "sub", "sup", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "ul", "ol", "li",
    "a", "img", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
}
ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"}, "colgroup": {"span"}, "ol": {"start"},
}
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_IMAGE_SOURCES = ("http://", "https://", "/api/files/")


def _allowed_url(tag: str, attribute: str, value: str) -> str | None:
    # Relative links would point into the platform itself; only uploaded files may be shown from here.
    if tag == "a" and attribute == "href":
        return value if value.lower().startswith(_LINK_SCHEMES) else None
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith(_IMAGE_SOURCES) and ".." not in value else None
    if tag == "a" and attribute == "target":
        return value if value == "_blank" else None
    return value


_CLEANER = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_allowed_url,
                       url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
_TAG = re.compile(r"<[A-Za-z/!][^>]*>")
_BREAKS = re.compile(r"<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote|pre|table|caption)>", re.IGNORECASE)
_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
_CONTENT = re.compile(r"<img\b|<hr\b", re.IGNORECASE)


def sanitize(markup: str) -> str:
    return _CLEANER.clean(markup)


def plain_text(markup: str) -> str:
    """Sanitised HTML → the text a person reads (blocks on their own lines), for exports and previews."""
    text = _BREAKS.sub("\n", markup)
    text = _CELL_END.sub("\t", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _paragraphs(text: str) -> str:
    """Plain text (a spreadsheet cell) → HTML paragraphs, keeping its lines."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


class RichTextDef(FieldBase):
    max_length: int = Field(default=100_000, ge=1, le=1_000_000, description="the longest sanitised HTML")


class RichText(FieldType):
    key = "rich_text"
    icon = "FileTextOutlined"
    label = ("富文本", "Rich text")
    storage = "text"
    props = RichTextDef
    widget = "rich_text"
    unique_ok = False

    def coerce(self, f, value, ctx):
        markup = as_text(value)
        if len(markup) > 4 * f.max_length:  # far beyond the limit: not worth sanitising
            raise FieldError("too_long", limit=f.max_length)
        clean = sanitize(markup if _TAG.search(markup) else _paragraphs(markup))
        if len(clean) > f.max_length:
            raise FieldError("too_long", limit=f.max_length)
        if not plain_text(clean) and not _CONTENT.search(clean):
            return None  # only tags that were dropped, or empty paragraphs: no value
        return clean

    def to_cell(self, f, dumped):
        return None if dumped is None else plain_text(dumped)
