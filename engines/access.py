"""Roles and what they allow: operations per form, access per field, and which rows (the `roles` section).

A user may hold several roles in an app; the union applies. Per operation the rows allowed are the union of
the row scopes of every permission granting that operation, so "read all orders" from one role and "update my
own orders" from another mean exactly that. A field is as open as the most open role that can read the form
makes it (editable > readonly > hidden); a field no role names is editable.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields.base import KEY_PATTERN

OPS = ("read", "create", "update", "delete", "import", "export")
# Row scopes by name; anything else in `rows` is an expression over the record, e.g. "leader = CURRENT_USER()".
SCOPES = ("all", "own", "department", "subordinates", "member")
MODES = ("hidden", "readonly", "editable")
Op = Literal["read", "create", "update", "delete", "import", "export"]
Mode = Literal["hidden", "readonly", "editable"]


class PermissionDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: str = Field(pattern=KEY_PATTERN)
    ops: list[Op] = Field(min_length=1)
    rows: str = Field(default="all", min_length=1, max_length=4000, description=(
        "all, own (rows I own), department (rows owned by people of my departments and their sub-departments), "
        "subordinates (rows owned by me and the people I manage, transitively), member (a member field of the "
        "row holds me), or an expression over the record such as leader = CURRENT_USER()"))
    fields: dict[str, Mode] = Field(default_factory=dict, description=(
        "field key (or sub-table.field) → hidden, readonly or editable; fields not named are editable"))


class RoleDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    permissions: list[PermissionDef] = Field(default_factory=list, max_length=500)


@dataclass
class FormAccess:
    """What one user may do with one form."""
    scopes: dict[str, list[str]] = field(default_factory=dict)  # op → row scopes (union); absent: not allowed
    fields: dict[str, str] = field(default_factory=dict)  # key ("lines.cost" inside sub-tables) → mode

    def allows(self, op: str) -> bool:
        return op in self.scopes

    def mode(self, key: str) -> str:
        return self.fields.get(key, "editable")

    def hidden(self) -> set[str]:
        return {key for key, mode in self.fields.items() if mode == "hidden"}

    def closed(self) -> set[str]:
        """Fields the user may not write: hidden or read-only."""
        return {key for key, mode in self.fields.items() if mode != "editable"}


def effective(roles: list[RoleDef], held: set[str]) -> dict[str, FormAccess]:
    """Form key → what the roles `held` allow together."""
    forms: dict[str, FormAccess] = {}
    readers: dict[str, list[PermissionDef]] = {}
    for role in roles:
        if role.key not in held:
            continue
        for permission in role.permissions:
            access = forms.setdefault(permission.form, FormAccess())
            for op in permission.ops:
                scopes = access.scopes.setdefault(op, [])
                if permission.rows not in scopes:
                    scopes.append(permission.rows)
            if "read" in permission.ops:
                readers.setdefault(permission.form, []).append(permission)
    for form_key, access in forms.items():
        for op, scopes in access.scopes.items():
            if "all" in scopes:
                access.scopes[op] = ["all"]
        permissions = readers.get(form_key, [])
        named = {key for p in permissions for key in p.fields}
        for key in named:  # the most open mode any reading permission gives (silence means editable)
            mode = max((p.fields.get(key, "editable") for p in permissions), key=MODES.index)
            if mode != "editable":
                access.fields[key] = mode
    return forms
