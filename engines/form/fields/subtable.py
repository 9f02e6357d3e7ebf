"""Child rows (明细) inside a record, each validated like a small record of its own."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.linkage import LinkageRule


class SubtableDef(FieldBase):
    # Replaced at registry build time by a list of every non-sub-table field type.
    fields: list[Any] = Field(min_length=1, max_length=100)
    min_rows: int | None = Field(default=None, ge=0)
    max_rows: int | None = Field(default=None, ge=1, le=10_000)
    linkage: list[LinkageRule] = Field(default_factory=list, max_length=200,
                                       description="rules over each row's own fields, evaluated row by row")


class Subtable(FieldType):
    expr_kind = "rows"
    key = "subtable"
    icon = "TableOutlined"
    label = ("子表单", "Sub-table")
    storage = None
    props = SubtableDef
    widget = "subtable"
    unique_ok = False

    def coerce(self, f, value, ctx):
        from engines.form.record import validate_rows  # rows are records; avoid an import cycle

        if not isinstance(value, list):
            raise FieldError("not_list")
        if f.max_rows is not None and len(value) > f.max_rows:
            raise FieldError("too_many_items", limit=f.max_rows)
        if f.min_rows is not None and len(value) < f.min_rows:
            raise FieldError("too_few_items", limit=f.min_rows)
        return validate_rows(f, value, ctx) or None

    def json_schema(self, f):
        from engines.form.fields import field_type  # the registry imports this module

        rows = {sub.key: field_type(sub.type).json_schema(sub) for sub in f.fields
                if field_type(sub.type).storage_for(sub) or sub.type == "relation"}
        required = [sub.key for sub in f.fields if sub.required]
        row = {"type": "object", "properties": {"id": {"type": "integer", "description": "keep to update this row"},
                                                **rows}}
        if required:
            row["required"] = required
        return {**super().json_schema(f), "type": "array", "items": row}

    def check_empty(self, f):
        if f.min_rows:
            raise FieldError("too_few_items", limit=f.min_rows)
