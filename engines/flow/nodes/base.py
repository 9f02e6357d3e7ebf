"""What every node type is: its property model, the edge outcomes it takes, what it checks at publish, and what
it does when a token arrives (`enter`) or an answer comes back (`resume`). Nodes never do I/O: they ask the
`Run` (engines.flow.interpreter) to record rows and emit effects."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from engines.problems import Problem

if TYPE_CHECKING:
    from engines.flow.interpreter import Run
    from engines.flow.state import TokenRow
    from engines.flow.validate import FlowFacts

NODE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: float
    y: float


class NodeBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=NODE_ID_PATTERN)
    type: str
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    position: Position | None = Field(default=None, description="where the designer draws the node")


@dataclass(frozen=True)
class ExprSpec:
    """An expression a node holds: compiled once per flow version under (node id, name)."""
    name: str
    text: str
    path: tuple  # under the node, e.g. ("set", "status")
    expect: str | None = None  # bool, number, date…
    form: str | None = None  # None: the flow's scope (record + variables); else that form's own fields
    into: tuple | None = None  # ("variable", key) or ("field", form, key): the result must suit it


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    text: str
    path: tuple


class NodeType(ABC):
    key: ClassVar[str]
    label: ClassVar[tuple[str, str]]  # (zh-CN, en) for the designer's palette
    category: ClassVar[str]  # control, human, gateway, timer, data, message, integration
    props: ClassVar[type[NodeBase]]
    outcomes: ClassVar[tuple[str, ...]] = ()  # outcomes an outgoing edge may name
    default_outcome: ClassVar[str | None] = None  # the outcome a plain (outcome-less) edge stands for
    ends_on: ClassVar[dict[str, str]] = {}  # outcome without an edge → the instance ends with this status
    human: ClassVar[bool] = False  # a step people do: a return may go back to it
    branching: ClassVar[bool] = False  # edges carry conditions (condition, inclusive)
    forks: ClassVar[bool] = False  # opens a region a join closes (parallel, inclusive)
    terminal: ClassVar[bool] = False  # no outgoing edges (end, terminate)

    def expressions(self, node: Any) -> list[ExprSpec]:
        return []

    def templates(self, node: Any) -> list[TemplateSpec]:
        return []

    def check(self, node: Any, facts: "FlowFacts") -> list[Problem]:
        """Problems beyond the property model, with paths relative to the node."""
        return []

    @abstractmethod
    def enter(self, run: "Run", token: "TokenRow", node: Any) -> None:
        """A token arrived: do the work, then `run.advance(token, outcome)` or leave the token waiting."""

    def resume(self, run: "Run", token: "TokenRow", node: Any, event: Any) -> None:
        """An answer for a waiting token (timer, reply, response, finished sub-flow). Node types that never
        leave a token waiting never get one: an answer for them is a bug in the caller, not user input."""
        raise RuntimeError(f"a {self.key!r} node never waits, so it cannot take {type(event).__name__}")

    def describe(self) -> dict:
        return {"type": self.key, "label": {"zh-CN": self.label[0], "en": self.label[1]}, "category": self.category,
                "outcomes": list(self.outcomes), "human": self.human}
