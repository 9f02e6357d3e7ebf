"""Free tags on a record (标签): an ordered set of short labels."""
from __future__ import annotations

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.choice import split_list


class TagsDef(FieldBase):
    options: list[str] | None = Field(default=None, description="suggested tags shown in the picker")
    max_items: int = Field(default=100, ge=1, le=1000)


class Tags(FieldType):
    expr_kind = "list"
    key = "tags"
    icon = "TagsOutlined"
    label = ("标签", "Tags")
    storage = "json"
    props = TagsDef
    widget = "tags"
    unique_ok = False

    def json_schema(self, f):
        return {**super().json_schema(f), "type": "array", "items": {"type": "string", "maxLength": 40}}

    def coerce(self, f, value, ctx):
        tags = []
        for item in split_list(value):
            if not isinstance(item, str):
                raise FieldError("not_text")
            tag = item.strip()
            if len(tag) > 40:
                raise FieldError("too_long", limit=40)
            if tag and tag not in tags:
                tags.append(tag)
        if len(tags) > f.max_items:
            raise FieldError("too_many_items", limit=f.max_items)
        return tags or None
