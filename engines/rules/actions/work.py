"""Actions that do work per record rather than set a value the database can compute: assign_owner (round robin,
least loaded, or by a field such as the region), notify, create_task (a record in a task form), start_flow and
http_request. A batch selects the records with one query; the runtime then acts record by record."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from engines.flow.assignees import AssigneeSpec, spec_list
from engines.form.fields import FIELD_TYPES
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, pointer
from engines.rules.actions.base import ActionBase, ActionType, ExprSpec, TemplateSpec
from engines.rules.effects import AssignOwner as AssignEffect
from engines.rules.effects import CreateRecord, HttpRequest, Notify, StartFlow


class AssignOwnerDef(ActionBase):
    action: Literal["assign_owner"]
    field: str = Field(default="owner", pattern=KEY_PATTERN, description="owner, or a member field")
    strategy: Literal["round_robin", "least_loaded", "by_field"] = "round_robin"
    to: list[AssigneeSpec] = Field(default_factory=list, description="round_robin / least_loaded: the candidates")
    by: str | None = Field(default=None, max_length=4000,
                           description="by_field: an expression (a field such as province, or a member field)")
    map: dict[str, int] = Field(default_factory=dict, description="by_field: value → user id (region → sales)")
    default: int | None = Field(default=None, ge=1, description="by_field: whom to give it when nothing maps")

    _specs = field_validator("to", mode="before")(lambda cls, v: spec_list(v))

    @model_validator(mode="after")
    def _strategy_needs(self) -> "AssignOwnerDef":
        if self.strategy == "by_field" and not self.by:
            raise ValueError("strategy by_field needs `by`")
        if self.strategy != "by_field" and not self.to:
            raise ValueError(f"strategy {self.strategy} needs `to` (the candidates)")
        return self


class NotifyDef(ActionBase):
    action: Literal["notify"]
    to: list[AssigneeSpec] = Field(min_length=1)
    template: str = Field(min_length=1, max_length=5000, description="message text: {{ record.name }}")
    title: str | None = Field(default=None, max_length=200)
    channel: Literal["in_app", "email", "sms", "wecom", "dingtalk"] = "in_app"

    _specs = field_validator("to", mode="before")(lambda cls, v: spec_list(v))


class CreateTaskDef(ActionBase):
    action: Literal["create_task"]
    form: str = Field(pattern=KEY_PATTERN, description="the form the task is a record of (e.g. a follow-up form)")
    values: dict[str, str] = Field(min_length=1, description="field → expression over the rule's record")


class StartFlowDef(ActionBase):
    action: Literal["start_flow"]
    flow: str = Field(pattern=KEY_PATTERN, description="a flow on the rule's form, started on the record")


class HttpRequestDef(ActionBase):
    action: Literal["http_request"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(min_length=1, max_length=2000, description="a template: https://erp/api/{{ record.id }}")
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=20000, description="a template; JSON is sent as JSON")


def assignee_problems(facts, specs, path: str) -> list[Problem]:
    problems = []
    for i, spec in enumerate(specs):
        if spec.role is not None and spec.role not in facts.roles:
            problems.append(Problem(f"{path}/{i}/role", "flow_unknown_role", {"key": spec.role}))
        if spec.field is not None and not facts.member_field(spec.field):
            problems.append(Problem(f"{path}/{i}/field", "rule_not_member_field", {"key": spec.field}))
        if spec.kind in ("manager", "department_head", "initiator"):  # a rule has no initiator to count from
            problems.append(Problem(f"{path}/{i}/{spec.kind}", "rule_no_initiator"))
    return problems


class AssignOwnerAction(ActionType):
    key, label, props, acts = "assign_owner", ("分配负责人", "Assign owner"), AssignOwnerDef, True

    def expressions(self, action):
        return [ExprSpec("by", action.by, ("by",))] if action.by else []

    def check(self, action, facts):
        problems = [] if facts.writable_member(action.field) else [
            Problem("/field", "rule_not_member_field", {"key": action.field})]
        return problems + assignee_problems(facts, action.to, "/to")

    def act(self, action, run):
        if action.strategy != "by_field":
            candidates = tuple(run.resolve(action.to))
            if candidates:
                run.emit(AssignEffect(action.field, action.strategy, candidates))
            return
        value = run.value("by")
        if action.map:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            chosen = action.map.get(str(value)) if value is not None else None
        else:
            chosen = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        chosen = chosen if chosen is not None else action.default
        if chosen is not None:
            run.emit(AssignEffect(action.field, "by_field", chosen=chosen))


class NotifyAction(ActionType):
    key, label, props, acts = "notify", ("发送通知", "Notify"), NotifyDef, True

    def templates(self, action):
        specs = [TemplateSpec("template", action.template, ("template",))]
        return specs + ([TemplateSpec("title", action.title, ("title",))] if action.title else [])

    def check(self, action, facts):
        return assignee_problems(facts, action.to, "/to")

    def act(self, action, run):
        users = tuple(run.resolve(action.to))
        if users:
            run.emit(Notify(users, run.render("template"), run.render("title") if action.title else None,
                            action.channel))


class CreateTask(ActionType):
    key, label, props, acts = "create_task", ("创建任务", "Create task"), CreateTaskDef, True

    def expressions(self, action):
        return [ExprSpec(f"values.{k}", text, ("values", k), into=(action.form, k))
                for k, text in action.values.items()]

    def check(self, action, facts):
        form = facts.forms.get(action.form)
        if form is None:
            return [Problem("/form", "unknown_form", {"key": action.form})]
        problems = []
        for key in action.values:
            f = next((f for f in form.fields if f.key == key), None)
            if f is None and key != "owner":
                problems.append(Problem(pointer("values", key), "unknown_field", {"form": action.form, "key": key}))
            elif f is not None and (f.type not in FIELD_TYPES or FIELD_TYPES.get(f.type).is_generated):
                problems.append(Problem(pointer("values", key), "flow_field_not_writable", {"key": key}))
        return problems

    def act(self, action, run):
        run.emit(CreateRecord(action.form, {k: run.value(f"values.{k}") for k in action.values}))


class StartFlowAction(ActionType):
    key, label, props, acts = "start_flow", ("发起流程", "Start flow"), StartFlowDef, True

    def check(self, action, facts):
        if action.flow not in facts.flows:
            return [Problem("/flow", "rule_unknown_flow", {"key": action.flow})]
        if facts.flows[action.flow] != facts.form:
            return [Problem("/flow", "rule_flow_form", {"flow": action.flow, "form": facts.form})]
        return []

    def act(self, action, run):
        run.emit(StartFlow(action.flow))


class HttpRequestAction(ActionType):
    key, label, props, acts = "http_request", ("调用接口", "HTTP request"), HttpRequestDef, True

    def templates(self, action):
        specs = [TemplateSpec("url", action.url, ("url",))]
        specs += [TemplateSpec(f"headers.{k}", v, ("headers", k)) for k, v in action.headers.items()]
        return specs + ([TemplateSpec("body", action.body, ("body",))] if action.body else [])

    def act(self, action, run):
        run.emit(HttpRequest(action.method, run.render("url"),
                             {k: run.render(f"headers.{k}") for k in action.headers},
                             run.render("body") if action.body else None))
