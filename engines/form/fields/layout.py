"""Layout elements of a form: a section heading (divider) and a static note. They hold no value."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.problems import Problem


class DividerDef(FieldBase):
    style: Literal["line", "heading"] = Field(default="heading", description="a plain line, or the label as a heading")


class NoteDef(FieldBase):
    content: str = Field(min_length=1, max_length=20_000, description="text shown on the form")
    tone: Literal["info", "warning", "plain"] = "plain"


class _Layout(FieldType):
    expr_kind = "null"  # nothing to read: an expression naming it sees an empty value
    storage = None
    is_generated = True  # no client sets it; record validation refuses any value given
    unique_ok = False
    in_subtable = False  # a row of a sub-table has no layout

    def coerce(self, f, value, ctx):
        raise FieldError("generated")

    def check_def(self, f):
        problems = []
        if f.required:
            problems.append(Problem("/required", "layout_holds_no_value", {"type": self.key}))
        if f.default is not None:
            problems.append(Problem("/default", "layout_holds_no_value", {"type": self.key}))
        return problems


class Divider(_Layout):
    key = "divider"
    icon = "LineOutlined"
    label = ("分割线", "Divider")
    props = DividerDef
    widget = "divider"


class Note(_Layout):
    key = "note"
    icon = "InfoCircleOutlined"
    label = ("说明文字", "Note")
    props = NoteDef
    widget = "note"
