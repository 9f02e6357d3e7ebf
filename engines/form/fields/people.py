"""Members (users of the platform) and departments: one id in a column, or many ids as a JSON list.

The engine checks the shape only; `references` tells the runtime which ids must exist (users / departments).
"""
from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.choice import split_list


class PeopleDef(FieldBase):
    many: bool = False
    max_items: int | None = Field(default=None, ge=1, le=1000)


def _one_id(value, code: str) -> int:
    """7, "7" or {"id": 7, "name": …}, the shape the API hands out."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value >= 2**31:
        raise FieldError(code)
    return value


class _People(FieldType):
    expr_kind = "number"  # one member is a user id; many are a list (expr_kind_for)
    storage = "integer"
    props = PeopleDef
    unique_ok = True  # one member only: the builder refuses unique on `many` fields
    refers_to: ClassVar[str]  # the platform table the ids point at
    bad_code: ClassVar[str]

    def storage_for(self, f):
        return "json" if f.many else "integer"

    def expr_kind_for(self, f):
        return "list" if f.many else "number"

    def coerce(self, f, value, ctx):
        if not f.many:
            return _one_id(value, self.bad_code)
        items = split_list(value) if isinstance(value, (str, list)) else [value]  # "7, 9" from a spreadsheet
        ids = list(dict.fromkeys(_one_id(item, self.bad_code) for item in items))
        if f.max_items and len(ids) > f.max_items:
            raise FieldError("too_many_items", limit=f.max_items)
        return ids or None

    def references(self, f, stored):
        if stored is None:
            return None
        return self.refers_to, (list(stored) if isinstance(stored, list) else [stored])


class Member(_People):
    key = "member"
    icon = "UserOutlined"
    label = ("成员", "Member")
    widget = "member"
    refers_to = "user"
    bad_code = "bad_member"


class Department(_People):
    key = "department"
    icon = "ApartmentOutlined"
    label = ("部门", "Department")
    widget = "department"
    refers_to = "department"
    bad_code = "bad_department"
