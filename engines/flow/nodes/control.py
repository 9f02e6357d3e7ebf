"""Start, end, terminate, merge, set_variable, loop and sub-flow: nodes that steer the instance itself."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.flow.nodes.base import ExprSpec, NodeBase, NodeType
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, pointer

LOOP_COUNTER = "_loop.{}"  # variable rows the interpreter keeps for a loop's position (not user variables)


class StartDef(NodeBase):
    type: Literal["start"]


class EndDef(NodeBase):
    type: Literal["end"]


class TerminateDef(NodeBase):
    type: Literal["terminate"]
    status: Literal["completed", "rejected", "cancelled"] = "completed"


class MergeDef(NodeBase):
    type: Literal["merge"]


class SetVariableDef(NodeBase):
    type: Literal["set_variable"]
    set: dict[str, str] = Field(min_length=1, max_length=100, description="variable key → expression")


class LoopDef(NodeBase):
    type: Literal["loop"]
    over: str = Field(pattern=KEY_PATTERN, description="a records variable (filled by query_records)")
    item: str = Field(pattern=KEY_PATTERN, description="a record variable holding the current record")
    max: int = Field(default=1000, ge=1, le=10000)


class SubflowDef(NodeBase):
    type: Literal["subflow"]
    flow: str = Field(pattern=KEY_PATTERN)
    wait: bool = True
    same_record: bool = True
    inputs: dict[str, str] = Field(default_factory=dict, description="sub-flow variable → expression")


class Start(NodeType):
    key, label, category, props = "start", ("开始", "Start"), "control", StartDef

    def enter(self, run, token, node):
        run.advance(token)


class End(NodeType):
    key, label, category, props, terminal = "end", ("结束", "End"), "control", EndDef, True

    def enter(self, run, token, node):
        run.retire(token)
        if not run.live_tokens():
            run.finish("completed")


class Terminate(NodeType):
    """Ends every branch at once (BPMN terminate end event)."""
    key, label, category, props, terminal = "terminate", ("终止流程", "Terminate"), "control", TerminateDef, True

    def enter(self, run, token, node):
        run.retire(token)
        run.finish(node.status)


class Merge(NodeType):
    """Where exclusive branches meet again; passes each token straight on (drawn as a dot in the designer)."""
    key, label, category, props = "merge", ("合并", "Merge"), "gateway", MergeDef

    def enter(self, run, token, node):
        run.advance(token)


class SetVariable(NodeType):
    key, label, category, props = "set_variable", ("设置变量", "Set variable"), "data", SetVariableDef

    def expressions(self, node):
        return [ExprSpec(f"set.{k}", text, ("set", k), into=("variable", k)) for k, text in node.set.items()]

    def check(self, node, facts):
        return [p for k in node.set for p in facts.variable_problems(k, pointer("set", k), scalar=True)]

    def enter(self, run, token, node):
        for key in node.set:
            run.set_variable(key, run.value(node.id, f"set.{key}"))
        run.advance(token)


class Loop(NodeType):
    """Runs the body (the 'each' edge, leading back here) once per record of a records variable, then 'done'."""
    key, label, category, props = "loop", ("循环", "Loop"), "control", LoopDef
    outcomes, default_outcome = ("each", "done"), "done"

    def check(self, node, facts):
        problems = facts.variable_problems(node.over, "/over", kinds=("records",))
        problems += facts.variable_problems(node.item, "/item", kinds=("record",))
        return problems

    def enter(self, run, token, node):
        counter = LOOP_COUNTER.format(node.id)
        index = run.variables.get(counter, -1) + 1
        items = run.variables.get(node.over) or []
        if index < len(items) and index < node.max:
            run.set_variable(counter, index)
            run.set_variable(node.item, items[index])
            run.advance(token, "each")
        else:
            run.set_variable(counter, None)
            run.set_variable(node.item, None)
            run.advance(token, "done")


class Subflow(NodeType):
    key, label, category, props = "subflow", ("子流程", "Sub-flow"), "control", SubflowDef
    outcomes, default_outcome = ("completed", "rejected", "withdrawn", "cancelled", "failed"), "completed"

    def expressions(self, node):
        return [ExprSpec(f"inputs.{k}", text, ("inputs", k)) for k, text in node.inputs.items()]

    def check(self, node, facts):
        problems = []
        if node.flow == facts.flow.key:
            problems.append(Problem("/flow", "flow_subflow_self"))
        elif node.flow not in facts.flows:
            problems.append(Problem("/flow", "flow_unknown_flow", {"key": node.flow}))
        if node.same_record and facts.flow_form is None:
            problems.append(Problem("/same_record", "flow_needs_record"))
        return problems

    def enter(self, run, token, node):
        from engines.flow.effects import StartSubflow

        inputs = {k: run.value(node.id, f"inputs.{k}") for k in node.inputs}
        record_id = run.instance.record_id if node.same_record else None
        form = run.instance.form if node.same_record else None
        if node.wait:
            run.request(token, lambda rid: StartSubflow(rid, node.flow, record_id, form, inputs, True))
        else:
            run.emit(StartSubflow(run.new_id("r"), node.flow, record_id, form, inputs, False))
            run.advance(token)

    def resume(self, run, token, node, event):
        for key, value in event.variables.items():
            if key in run.flow.variables:
                run.set_variable(key, value)
        run.advance(token, event.status)
