"""Formula fields: a value computed from the record by an expression, stored so it can be sorted and filtered."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import FieldError, FieldType
from engines.form.fields.computed import GuardedDef, guard_problems

# result → (storage, expression kind)
RESULTS = {
    "number": ("float", "number"), "money": ("decimal", "number"), "percent": ("float", "number"),
    "text": ("text", "text"), "date": ("date", "date"), "datetime": ("datetime", "datetime"),
    "checkbox": ("boolean", "bool"),
}
# the result a computed type gives when the definition names none
RESULT_OF_KIND = {"number": "number", "text": "text", "date": "date", "datetime": "datetime", "bool": "checkbox",
                  "ref": "number"}


class FormulaDef(GuardedDef):
    expr: str = Field(min_length=1, max_length=4000, description="an expression over this record's fields")
    result: Literal["number", "money", "percent", "text", "date", "datetime", "checkbox"] | None = Field(
        default=None, description="how the value is stored and shown; taken from the expression when left out")
    decimals: int | None = Field(default=None, ge=0, le=10)


class Formula(FieldType):
    key = "formula"
    icon = "FunctionOutlined"
    label = ("公式", "Formula")
    storage = "float"
    props = FormulaDef
    widget = "formula"
    is_generated = True
    unique_ok = False

    def storage_for(self, f):
        return RESULTS[f.result or "number"][0]

    def coerce(self, f, value, ctx):
        raise FieldError("generated")

    def check_def(self, f):
        return guard_problems(f)

    def dump(self, f, stored, ctx):
        from engines.form.fields import field_type

        shown = {"checkbox": "checkbox", "date": "date", "datetime": "datetime", "text": "text", "money": "money"}
        kind = shown.get(f.result or "number", "number")
        return field_type(kind).dump(f, stored, ctx) if stored is not None else None
