"""The flow engine (流程引擎), pure: flow definitions and their validation at publish, a node-type registry, and an
interpreter that turns (flow, instance state, event) into (new state, effects, changed rows).

    compiled = compile_flow(flow_json, forms, version=3)         # once per published version
    result = step(compiled, None, Start(at, instance_id=7, initiator=5, record=rec), ctx)
    result = step(compiled, result.state, TaskAction(at, "t2", "approve", by=9), ctx)
    result.effects   # CreateTask, Notify, ScheduleTimer, WriteRecord, HttpRequest, Finish…
    result.changes   # only the rows this step wrote

See docs/flows.md.
"""
from engines.flow.assignees import AssigneeSpec, Directory, OrgChart
from engines.flow.compiler import compile_flow, flow_scope
from engines.flow.cron import CronError, next_time, parse_cron
from engines.flow.definition import CompiledFlow, EdgeDef, FlowDef, VariableDef, parse_flow
from engines.flow.durations import BusinessCalendar, add_duration, parse_duration
from engines.flow.errors import ActionRefused
from engines.flow.events import (Cancel, Failed, HttpResponse, RecordChanged, Reply, Start, SubflowFinished,
                                 TaskAction, TimerFired, Withdraw)
from engines.flow.interpreter import FlowContext, StepResult, step
from engines.flow.nodes import NODE_TYPES
from engines.flow.state import ChangeSet, FlowState
from engines.flow.triggers import (TRIGGER_TYPES, date_field_cron, date_field_filter, next_schedule,
                                   starts_on_write)
from engines.flow.validate import FlowFacts, validate_flow, validate_flows

__all__ = [
    "ActionRefused", "AssigneeSpec", "BusinessCalendar", "Cancel", "ChangeSet", "CompiledFlow", "CronError",
    "Directory", "EdgeDef", "Failed", "FlowContext", "FlowDef", "FlowFacts", "FlowState", "HttpResponse", "NODE_TYPES",
    "OrgChart", "RecordChanged", "Reply", "Start", "StepResult", "SubflowFinished", "TRIGGER_TYPES", "TaskAction",
    "TimerFired", "VariableDef", "Withdraw", "add_duration", "compile_flow", "date_field_cron", "date_field_filter",
    "flow_scope", "next_schedule", "next_time", "parse_cron", "parse_duration", "parse_flow", "starts_on_write", "step",
    "validate_flow", "validate_flows",
]
