"""Branching: exclusive condition (first true edge, else the default), parallel fork, inclusive fork (every true
edge), and the AND-join that waits for every branch its fork started."""
from __future__ import annotations

from typing import Literal

from engines.flow.nodes.base import NodeBase, NodeType


class ConditionDef(NodeBase):
    type: Literal["condition"]


class ParallelDef(NodeBase):
    type: Literal["parallel"]


class InclusiveDef(NodeBase):
    type: Literal["inclusive"]


class JoinDef(NodeBase):
    type: Literal["join"]


class Condition(NodeType):
    key, label, category, props, branching = "condition", ("条件分支", "Condition"), "gateway", ConditionDef, True

    def enter(self, run, token, node):
        edges = run.flow.out_edges[node.id]
        chosen = next((e for e in edges if not e.default and run.edge_holds(e)), None)
        chosen = chosen or next(e for e in edges if e.default)
        run.log(node.id, "branch", detail={"to": chosen.to})
        run.move(token, chosen.to)


class Parallel(NodeType):
    key, label, category, props, forks = "parallel", ("并行分支", "Parallel"), "gateway", ParallelDef, True

    def enter(self, run, token, node):
        run.fork(token, [e.to for e in run.flow.out_edges[node.id]])


class Inclusive(NodeType):
    """Every edge whose condition holds runs in parallel; none holding: the default edge alone."""
    key, label, category, props = "inclusive", ("包容分支", "Inclusive"), "gateway", InclusiveDef
    branching = forks = True

    def enter(self, run, token, node):
        edges = run.flow.out_edges[node.id]
        chosen = [e.to for e in edges if not e.default and run.edge_holds(e)]
        run.fork(token, chosen or [e.to for e in edges if e.default])


class Join(NodeType):
    key, label, category, props = "join", ("汇聚", "Join"), "gateway", JoinDef

    def enter(self, run, token, node):
        run.join(token, node.id)
