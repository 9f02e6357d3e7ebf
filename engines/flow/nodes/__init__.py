"""The node-type registry. Adding a type is one class plus one entry in TYPES below."""
from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from engines._registry import Registry
from engines.flow.nodes.base import ExprSpec, NodeBase, NodeType, TemplateSpec
from engines.flow.nodes.control import End, Loop, Merge, SetVariable, Start, Subflow, Terminate
from engines.flow.nodes.gateways import Condition, Inclusive, Join, Parallel
from engines.flow.nodes.human import Approval, FillIn
from engines.flow.nodes.integration import HttpRequest, WebhookResponse
from engines.flow.nodes.messages import Cc, Notify
from engines.flow.nodes.records import (Aggregate, Assign, CreateRecord, DeleteRecord, PrintDocument, QueryRecords,
                                        UpdateRecord)
from engines.flow.nodes.timers import Delay, WaitUntil

TYPES: list[NodeType] = [
    Start(), End(), Terminate(), Approval(), FillIn(), Cc(), Condition(), Parallel(), Inclusive(), Join(), Merge(),
    Delay(), WaitUntil(), CreateRecord(), UpdateRecord(), DeleteRecord(), QueryRecords(), Aggregate(), Loop(),
    SetVariable(), Notify(), HttpRequest(), WebhookResponse(), Assign(), PrintDocument(), Subflow(),
]

NODE_TYPES: Registry[NodeType] = Registry("node type")
for _type in TYPES:
    NODE_TYPES.register(_type)

# Names builders also write (the wording); read as the registered key.
ALIASES = {"assign_owner": "assign", "sub_flow": "subflow", "exclusive": "condition", "fork": "parallel"}

NodeDef = Annotated[Union[tuple(t.props for t in NODE_TYPES)], Field(discriminator="type")]  # type: ignore[valid-type]

__all__ = ["ALIASES", "NODE_TYPES", "NodeDef", "NodeType", "NodeBase", "ExprSpec", "TemplateSpec"]
