"""Fields that show a record's system columns (创建人, 修改人, 创建时间, 修改时间) on forms and lists.

They have no column of their own: `system_column` names the record column the runtime reads for them.
"""
from __future__ import annotations

from typing import ClassVar

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.dates import DateTime


class SystemDef(FieldBase):
    pass


class _SystemField(FieldType):
    storage = None
    props = SystemDef
    is_generated = True
    unique_ok = False
    in_subtable = False  # sub-table rows have no such columns
    system_column: ClassVar[str]

    def coerce(self, f, value, ctx):
        raise FieldError("generated")


class CreatedBy(_SystemField):
    expr_kind = "number"  # a user id
    key = "created_by"
    icon = "UserAddOutlined"
    label = ("创建人", "Created by")
    widget = "user_display"
    system_column = "created_by"

    def references(self, f, stored):
        return None if stored is None else ("user", [stored])


class UpdatedBy(CreatedBy):
    key = "updated_by"
    icon = "UserSwitchOutlined"
    label = ("修改人", "Updated by")
    system_column = "updated_by"


class CreatedAt(_SystemField):
    expr_kind = "datetime"
    key = "created_at"
    icon = "FieldTimeOutlined"
    label = ("创建时间", "Created at")
    widget = "datetime_display"
    system_column = "created_at"

    def dump(self, f, stored, ctx):
        return DateTime().dump(f, stored, ctx)  # stored in UTC, shown in the deployment's zone


class UpdatedAt(CreatedAt):
    key = "updated_at"
    icon = "HistoryOutlined"
    label = ("修改时间", "Updated at")
    system_column = "updated_at"
