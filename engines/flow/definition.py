"""The FLOW section of an app: pydantic models (unknown keys refused) and the compiled form the interpreter runs —
graph indexes, expressions compiled once against the form's scope, templates compiled once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.flow.nodes import ALIASES, NODE_TYPES, NodeDef, NodeType
from engines.flow.triggers import TriggerDef
from engines.form.fields.base import KEY_PATTERN

VARIABLE_FIELD_TYPES = {"number": "number", "text": "text", "bool": "checkbox", "date": "date",
                        "datetime": "datetime", "member": "member"}


class EdgeDef(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    condition: str | None = Field(default=None, max_length=4000)
    default: bool = False
    outcome: str | None = Field(default=None, max_length=40)
    label: str | None = Field(default=None, max_length=200)


class VariableDef(BaseModel):
    """A flow variable; readable in expressions by its key like a field (record: `item.amount`)."""
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    type: Literal["number", "text", "bool", "date", "datetime", "member", "record", "records"]
    form: str | None = Field(default=None, pattern=KEY_PATTERN, description="record / records: of which form")
    default: Any = None
    label: str | None = Field(default=None, max_length=200)


class FlowDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool = True
    trigger: TriggerDef
    variables: list[VariableDef] = Field(default_factory=list, max_length=200)
    nodes: list[NodeDef] = Field(min_length=1, max_length=500)
    edges: list[EdgeDef] = Field(default_factory=list, max_length=2000)
    withdraw: Literal["before_action", "anytime", "never"] = Field(
        default="before_action", description="when the initiator may withdraw (撤回)")

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            nodes = [dict(n, type=ALIASES[n["type"]]) if isinstance(n, dict) and n.get("type") in ALIASES else n
                     for n in data["nodes"]]
            data = {**data, "nodes": nodes}
        return data

    @property
    def form(self) -> str | None:
        return getattr(self.trigger, "form", None)


@dataclass
class CompiledFlow:
    """One published flow version, ready to run: built once and shared by every step of every instance."""
    definition: FlowDef
    version: Any
    nodes: dict[str, Any]
    types: dict[str, NodeType]
    out_edges: dict[str, list[EdgeDef]]
    start: str
    exprs: dict[tuple[str, str], Any] = field(default_factory=dict)
    conditions: dict[int, Any] = field(default_factory=dict)  # id(edge) → compiled condition
    trigger_condition: Any = None
    templates: dict[tuple[str, str], Any] = field(default_factory=dict)
    variables: dict[str, VariableDef] = field(default_factory=dict)
    relation_targets: dict[str, str] = field(default_factory=dict)
    record_paths: frozenset = frozenset()  # paths through links the flow reads: loaded with the record

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def form(self) -> str | None:
        return self.definition.form

    def trigger_holds(self, record: Mapping, eval_ctx) -> bool:
        return self.trigger_condition is None or bool(self.trigger_condition.evaluate(record, eval_ctx))


def parse_flow(doc: Any) -> FlowDef:
    return doc if isinstance(doc, FlowDef) else FlowDef.model_validate(doc)


def type_of(node: Any) -> NodeType:
    return NODE_TYPES.get(node.type)
