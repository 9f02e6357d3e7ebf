"""Who does a step: assignee specifications in a flow, and their resolution to user ids through the org chart.

Resolution is pure: the runtime hands in a `Directory` answered from memory (an org-chart snapshot loaded once
per step), so the interpreter never waits on a database. `OrgChart` is that snapshot as plain dicts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.form.fields.base import KEY_PATTERN

# Field types that hold one user id (member) or are the record's creator / owner (system fields).
MEMBER_FIELD_TYPES = {"member", "created_by", "updated_by"}
MEMBER_SYSTEM_FIELDS = {"created_by", "updated_by", "owner"}
FIELD_PATH_PATTERN = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39}){0,3}$"  # field, or relation.field…


class Levels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    levels: int = Field(default=1, ge=1, le=10, description="1 = direct manager / own department's head")


class AssigneeSpec(BaseModel):
    """Exactly one way of naming people."""

    model_config = ConfigDict(extra="forbid")
    user: int | None = Field(default=None, ge=1)
    users: list[int] | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, pattern=KEY_PATTERN)
    department_head: Levels | None = None
    manager: Levels | None = None
    field: str | None = Field(default=None, pattern=FIELD_PATH_PATTERN,
                              description="a member field of the record, a member variable, or a path through "
                                          "relations (customer.sales)")
    initiator: bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "AssigneeSpec":
        given = [k for k, v in self.__dict__.items() if v is not None and v is not False]
        if len(given) != 1:
            raise ValueError("name exactly one of user, users, role, department_head, manager, field, initiator")
        return self

    @property
    def kind(self) -> str:
        return next(k for k, v in self.__dict__.items() if v is not None and v is not False)


def spec_list(value: Any) -> Any:
    """`{"role": "x"}` and `[{"role": "x"}, {"user": 3}]` both mean a list of specs."""
    return [value] if isinstance(value, dict) else value


class Directory(Protocol):
    """The org chart as the interpreter sees it. Answers must come from memory (no I/O inside a step)."""

    def users_with_role(self, role: str) -> list[int]: ...

    def manager(self, user: int, levels: int = 1) -> int | None: ...

    def department_head(self, user: int, levels: int = 1) -> int | None: ...


@dataclass
class OrgChart:
    """A snapshot of users' roles, managers and departments: what a runtime loads, and what tests use."""

    roles: dict[str, list[int]] = field(default_factory=dict)  # role key → user ids, in the order to ask them
    managers: dict[int, int] = field(default_factory=dict)  # user → direct manager
    departments: dict[int, int] = field(default_factory=dict)  # user → department id
    heads: dict[int, int] = field(default_factory=dict)  # department → its head
    parents: dict[int, int] = field(default_factory=dict)  # department → parent department

    def users_with_role(self, role: str) -> list[int]:
        return list(self.roles.get(role, []))

    def manager(self, user: int, levels: int = 1) -> int | None:
        for _ in range(levels):
            user = self.managers.get(user)
            if user is None:
                return None
        return user

    def department_head(self, user: int, levels: int = 1) -> int | None:
        department = self.departments.get(user)
        for _ in range(levels - 1):
            department = self.parents.get(department) if department is not None else None
        return self.heads.get(department) if department is not None else None


def user_ids(value: Any) -> list:
    """What a member field, variable or path holds, as user ids: one id, several, a linked record's id, or a
    whole number computed as a float (an aggregate's max)."""
    values = value if isinstance(value, list) else [value]
    found = []
    for v in values:
        v = v.get("id") if isinstance(v, dict) else v
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        found.append(v)
    return found


def read_path(values: dict | None, path: str) -> Any:
    """A field (`sales`), a variable, or a path through loaded linked records (`customer.sales`); many-links and
    sub-table rows give every value along the way."""
    current: list = [values or {}]
    for key in path.split("."):
        nxt: list = []
        for item in current:
            if isinstance(item, dict):
                value = item.get(key)
                nxt.extend(value if isinstance(value, list) and "." in path else [value])
        current = nxt
    return current if len(current) != 1 else current[0]


def resolve(specs: Iterable[AssigneeSpec], directory: Directory, record: dict | None, initiator: int | None,
            relative_to: int | None = None) -> list[int]:
    """User ids in order, each once. Managers and department heads are counted from `relative_to` (an escalation
    goes to the late assignee's manager) or else from the initiator. `record` is what `field` specs read: the
    record with its linked records loaded, and the flow's variables."""
    found: list[int] = []
    anchor = relative_to if relative_to is not None else initiator
    for spec in specs:
        kind = spec.kind
        if kind == "user":
            ids = [spec.user]
        elif kind == "users":
            ids = list(spec.users or [])
        elif kind == "role":
            ids = directory.users_with_role(spec.role)
        elif kind == "manager":
            ids = [directory.manager(anchor, spec.manager.levels)] if anchor is not None else []
        elif kind == "department_head":
            ids = [directory.department_head(anchor, spec.department_head.levels)] if anchor is not None else []
        elif kind == "field":
            ids = user_ids(read_path(record, spec.field))
        else:
            ids = [initiator]
        for user in ids:
            if isinstance(user, int) and not isinstance(user, bool) and user not in found:
                found.append(user)
    return found
