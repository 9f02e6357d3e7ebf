"""Links to records of another form: one (a column) or many (a link table)."""
from __future__ import annotations

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN, FieldBase, FieldError, FieldType


class RelationDef(FieldBase):
    target: str = Field(pattern=KEY_PATTERN, description="key of the linked form in the same app")
    many: bool = False
    max_items: int | None = Field(default=None, ge=1)


def record_id(value) -> int:
    """Accepts 7, "7" or {"id": 7, "title": …} — the shape the API hands out."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():  # "²".isdigit() is True
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value >= 2**63:
        raise FieldError("bad_reference")
    return value


class Relation(FieldType):
    expr_kind = "ref"
    key = "relation"
    icon = "InteractionOutlined"
    label = ("关联记录", "Relation")
    storage = "integer"
    props = RelationDef
    widget = "relation"

    def storage_for(self, f):
        return None if f.many else "integer"

    def json_schema(self, f):
        one = {"type": "integer", "minimum": 1, "description": f"id of a {f.target!r} record"}
        base = {k: v for k, v in super().json_schema(f).items() if k in ("title", "readOnly")}
        return {**base, "type": "array", "items": one} if f.many else {**base, **one}

    def coerce(self, f, value, ctx):
        if not f.many:
            return record_id(value)
        if not isinstance(value, list):
            value = [value]
        ids = list(dict.fromkeys(record_id(item) for item in value))
        if f.max_items and len(ids) > f.max_items:
            raise FieldError("too_many_items", limit=f.max_items)
        return ids or None
