"""What every rule action is: its property model, the expressions and templates it holds, its publish-time checks,
and how it runs — as new field values (one record in Python at event time, every record as SQL in a batch) and/or
as effects per record (start a flow, notify, call out…), which the runtime carries out.

An action that changes fields gives the same answer both ways: `values` computes the new values of one record
from the record as the rule found it; `values_sql` writes the same computation as SQL over the form's table."""
from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from engines.problems import Problem

if TYPE_CHECKING:
    from engines.rules.batch import BatchBuild
    from engines.rules.evaluate import ActRun, EventRun
    from engines.rules.validate import RuleFacts


class ActionBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str


@dataclass(frozen=True)
class ExprSpec:
    """An expression an action holds, compiled once per app version under (branch, index, name)."""
    name: str
    text: str
    path: tuple  # under the action, e.g. ("terms", 0, "when")
    expect: str | None = None  # "bool" for conditions
    form: str | None = None  # None: the rule's form; else that form's fields (rfm's order filter)
    into: tuple | None = None  # (form or None for the rule's, field) the value goes into: the result must suit it


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    text: str
    path: tuple


class ActionType(ABC):
    key: ClassVar[str]
    label: ClassVar[tuple[str, str]]  # (zh-CN, en) for the rule designer
    props: ClassVar[type[ActionBase]]
    acts: ClassVar[bool] = False  # does work per record (effects) besides, or instead of, changing fields

    def expressions(self, action: Any) -> list[ExprSpec]:
        return []

    def templates(self, action: Any) -> list[TemplateSpec]:
        return []

    def check(self, action: Any, facts: "RuleFacts") -> list[Problem]:
        """Problems beyond the property model, with paths relative to the action."""
        return []

    def writes(self, action: Any) -> list[str]:
        """Fields of the rule's form whose values this action sets."""
        return []

    def added_tags(self, action: Any) -> list[tuple[str, str]]:
        """(tags field, tag) this action may add: the tag's source is remembered as this rule."""
        return []

    def removed_tags(self, action: Any) -> list[tuple[str, str]]:
        """(tags field, tag) this action may remove: where it is gone, so is its remembered source."""
        return []

    # ---- changing fields ---------------------------------------------------------------------------------------
    def values(self, action: Any, run: "EventRun") -> None:
        """One record: set the new values (`run.set`) from the record as the rule found it."""

    def values_sql(self, action: Any, build: "BatchBuild") -> None:
        """Every record: the same as `values`, as SQL over the form's table (`build.set`)."""

    # ---- work per record ---------------------------------------------------------------------------------------
    def acting(self, action: Any) -> bool:
        """Whether this action does work per record (`act`)."""
        return self.acts

    def holds(self, action: Any, run: "EventRun") -> bool:
        """Whether `act` runs for this record (beyond the rule's condition), read on the record as found."""
        return True

    def holds_sql(self, action: Any, build: "BatchBuild"):
        """The same as `holds`, as a SQL condition (None: always)."""
        return None

    def act(self, action: Any, run: "ActRun") -> None:
        """Emit the effects for one record (`run.emit`), read on the record as the rule left it."""

    def describe(self) -> dict:
        return {"action": self.key, "label": {"zh-CN": self.label[0], "en": self.label[1]}, "acts": self.acts,
                "schema": self.props.model_json_schema()}
