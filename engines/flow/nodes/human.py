"""Steps people do: approval (审批: sequential, countersign 会签, or-sign 或签) and fill-in (填写). Both create tasks,
take actions (approve / reject / submit / return / transfer / add signer / urge / comment), auto-pass, and apply
SLA timeouts (remind, escalate, auto-approve, auto-reject) measured in clock time or working days."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engines.flow.assignees import AssigneeSpec, spec_list
from engines.flow.durations import add_duration, parse_duration
from engines.flow.effects import CancelTask, CreateTask, Notify, WriteRecord
from engines.flow.errors import ActionRefused
from engines.flow.nodes.base import NodeBase, NodeType
from engines.flow.nodes.timers import duration_problems
from engines.flow.state import (AGREED, APPROVED, AUTO_APPROVED, DECLINED, ESCALATED, OPEN_TASK, PENDING, QUEUED,
                                RETURNED, SUBMITTED, TRANSFERRED, VOID, TaskRow, evolve)
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, pointer

CLOSED_ORIGINS = frozenset({TRANSFERRED, ESCALATED, VOID, RETURNED})  # tasks that no longer count


class TimeoutDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: str = Field(description="ISO 8601 duration from the step's start, e.g. P3D, PT15M")
    working_days: bool = Field(default=False, description="count the days part in working days")
    action: Literal["remind", "escalate", "auto_approve", "auto_reject"] = "remind"
    to: list[AssigneeSpec] | None = Field(default=None, description="remind: also these; escalate: to these "
                                                                    "(default: each late assignee's manager)")

    _specs = field_validator("to", mode="before")(lambda cls, v: spec_list(v) if v is not None else v)


class AutoPass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    initiator: bool = Field(default=True, description="the assignee is the one who started the flow")
    already_approved: bool = Field(default=True, description="the assignee approved an earlier step of this run")


class FillField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(pattern=KEY_PATTERN)
    required: bool = True


class HumanDef(NodeBase):
    assignees: list[AssigneeSpec] = Field(min_length=1)
    mode: Literal["sequential", "countersign", "or_sign"] = "or_sign"
    fallback: list[AssigneeSpec] | None = Field(default=None, description="who does it when nobody is found")
    when_empty: Literal["auto_approve", "reject", "fail"] = "fail"
    timeout: list[TimeoutDef] = Field(default_factory=list, max_length=10)
    cc: list[AssigneeSpec] | None = Field(default=None, description="copied when the step is done")
    allow_return: bool = True
    allow_transfer: bool = True
    allow_add_signer: bool = True
    hidden: list[str] = Field(default_factory=list, max_length=200,
                              description="fields this step's people do not see (节点字段权限)")

    _specs = field_validator("assignees", "fallback", "cc", mode="before")(
        lambda cls, v: spec_list(v) if v is not None else v)
    _timeouts = field_validator("timeout", mode="before")(lambda cls, v: [v] if isinstance(v, dict) else v)


class ApprovalDef(HumanDef):
    type: Literal["approval"]
    auto_pass: AutoPass = Field(default_factory=AutoPass)
    editable: list[str] = Field(default_factory=list, description="fields an approver may change while approving")


class FillInDef(HumanDef):
    type: Literal["fill_in"]
    fields: list[FillField] = Field(min_length=1, max_length=200)
    allow_add_signer: bool = False


class Human(NodeType):
    category, human = "human", True
    task_kind: str
    agreed_status: str

    # ---- publish-time checks -----------------------------------------------------------------------------------
    def check(self, node, facts):
        problems = facts.assignee_problems(node.assignees, "/assignees")
        problems += facts.assignee_problems(node.fallback or [], "/fallback")
        problems += facts.assignee_problems(node.cc or [], "/cc")
        for i, timeout in enumerate(node.timeout):
            problems += duration_problems(timeout.after, pointer("timeout", i, "after"))
            problems += facts.assignee_problems(timeout.to or [], pointer("timeout", i, "to"))
        for i, key in self.writable(node):
            if facts.flow_form is None:
                problems.append(Problem("", "flow_needs_record"))
                break
            f = facts.field(facts.flow_form.key, key)
            if f is None:
                problems.append(Problem(pointer(*i), "flow_field_wrong_form", {"key": key, "form": facts.flow_form.key}))
            elif facts.generated(f):
                problems.append(Problem(pointer(*i), "flow_field_not_writable", {"key": key}))
        for i, key in enumerate(node.hidden):
            if facts.flow_form is None or facts.field(facts.flow_form.key, key) is None:
                problems.append(Problem(pointer("hidden", i), "flow_field_wrong_form",
                                        {"key": key, "form": getattr(facts.flow_form, "key", None)}))
            elif key in {k for _, k in self.writable(node)}:
                problems.append(Problem(pointer("hidden", i), "flow_field_hidden_and_editable", {"key": key}))
        return problems

    def writable(self, node) -> list[tuple[tuple, str]]:
        return []

    # ---- a token arrives ----------------------------------------------------------------------------------------
    def enter(self, run, token, node):
        users = run.resolve(node.assignees) or (run.resolve(node.fallback) if node.fallback else [])
        if not users:
            run.log(node.id, "no_assignee", detail={"when_empty": node.when_empty})
            if node.when_empty == "fail":
                run.finish("failed", reason="no_assignee")
            else:
                run.advance(token, self.agreed_outcome if node.when_empty == "auto_approve" else "rejected")
            return
        visit = run.new_id("v")
        run.wait(token, "tasks:" + visit)
        deadlines = [add_duration(run.now, parse_duration(t.after), run.ctx.tz, t.working_days, run.ctx.calendar)
                     for t in node.timeout]
        due = min(deadlines, default=None)
        parallel = node.mode != "sequential"
        for i, user in enumerate(users):
            status = PENDING if parallel or i == 0 else QUEUED
            self.new_task(run, token, node, user, status, float(i), visit=visit, due_at=due)
        if self.settle(run, token, node):
            return
        for stage, at in enumerate(deadlines):
            run.schedule(token, node.id, "sla", at, stage=stage, wait=False)

    def new_task(self, run, token, node, user, status, position, visit, origin="base", waits_on=(), due_at=None):
        task = TaskRow(run.new_id("t"), token.id, node.id, self.task_kind, user, status, position,
                       run.instance.epoch, run.now, origin=origin, waits_on=waits_on, visit=visit, due_at=due_at)
        run.put_task(task)
        if status == PENDING:
            self.activate(run, node, task)
        return task

    def activate(self, run, node, task):
        """A task reaches someone's inbox — or passes by itself when its assignee needs not act."""
        if self.auto_passes(run, node, task):
            run.put_task(evolve(task, status=AUTO_APPROVED, decided_at=run.now))
            run.log(node.id, "auto_pass", by=task.assignee, task=task.id)
            return
        run.put_task(evolve(task, status=PENDING))
        run.emit(CreateTask(task.id, node.id, task.kind, task.assignee, node.name or node.id, task.due_at))

    def auto_passes(self, run, node, task) -> bool:
        return False

    def visit_tasks(self, run, token) -> list[TaskRow]:
        wait = run.tokens[token.id].wait
        visit = wait[len("tasks:"):] if wait and wait.startswith("tasks:") else None
        return sorted((t for t in run.tasks.values() if t.visit == visit and t.kind == self.task_kind),
                      key=lambda t: t.position)

    def settle(self, run, token, node) -> bool:
        """Move the step on as far as its tasks allow; True when the step is decided."""
        while True:
            tasks = [t for t in self.visit_tasks(run, token) if t.status not in CLOSED_ORIGINS]
            if any(t.status == DECLINED for t in tasks):
                self.decide(run, token, node, "rejected")
                return True
            released = [t for t in tasks if t.status == QUEUED and self.released(run, t)]
            if node.mode == "sequential":
                if not any(t.status == PENDING for t in tasks) and released:
                    self.activate(run, node, released[0])
                    continue
            elif released:
                for task in released:
                    self.activate(run, node, task)
                continue
            open_tasks = [t for t in tasks if t.status in OPEN_TASK]
            if node.mode == "or_sign":
                # one of the original (or transferred / escalated) assignees decides; added signers must agree too
                main = [t for t in tasks if t.origin not in ("before", "after")]
                if any(t.status in AGREED for t in main):
                    for t in tasks:  # decided: the others' tasks go, except signers added after an approval
                        if t.status in OPEN_TASK and t.origin != "after":
                            self.close(run, t, VOID)
                    if not any(run.tasks[t.id].status in OPEN_TASK for t in tasks):
                        self.decide(run, token, node, self.agreed_outcome)
                        return True
                return False
            if not open_tasks and all(t.status in AGREED for t in tasks):
                self.decide(run, token, node, self.agreed_outcome)
                return True
            return False

    def released(self, run, task) -> bool:
        return all(run.tasks[w].status in AGREED for w in task.waits_on)

    def close(self, run, task, status, by=None, comment=None):
        was_pending = task.status == PENDING
        run.put_task(evolve(task, status=status, decided_at=run.now, decided_by=by, comment=comment))
        if was_pending and status in (VOID, ESCALATED, RETURNED):
            run.emit(CancelTask(task.id, task.assignee))

    def decide(self, run, token, node, outcome):
        for task in self.visit_tasks(run, token):
            if task.status in OPEN_TASK:
                self.close(run, task, VOID)
        run.cancel_timers(token.id, node.id)
        run.log(node.id, outcome)
        if node.cc and outcome == self.agreed_outcome:
            run.carbon_copy(token, node.id, run.resolve(node.cc), None)
        run.advance(token, outcome)

    # ---- actions ------------------------------------------------------------------------------------------------
    def act(self, run, token, node, task, event):
        action = event.action
        handler = getattr(self, "_" + action, None)
        if action not in self.actions or handler is None:
            raise ActionRefused("flow_action_unknown" if action not in ALL_ACTIONS else "flow_action_not_allowed",
                                action=action)
        handler(run, token, node, task, event)

    def _require_assignee(self, task, event):
        if task.status != PENDING:
            raise ActionRefused("flow_task_closed", status=task.status)
        if event.by != task.assignee:
            raise ActionRefused("flow_not_assignee")

    def _apply_values(self, run, node, event, required=()):
        allowed = {key for _, key in self.writable(node)}
        for key in event.values:
            if key not in allowed:
                raise ActionRefused("flow_fill_unknown", pointer("values", key), key=key)
        for key in required:
            if event.values.get(key) in (None, "", []) and run.record.get(key) in (None, "", []):
                raise ActionRefused("flow_missing_fill", pointer("values", key), key=key)
        if event.values:
            run.emit(WriteRecord("update", run.instance.form, run.instance.record_id, dict(event.values)))
            run.update_record(dict(event.values))

    def _agree(self, run, token, node, task, event, required=()):
        self._require_assignee(task, event)
        self._apply_values(run, node, event, required)
        self.close(run, task, self.agreed_status, event.by, event.comment)
        run.acted(event.by)
        run.log(node.id, self.agreed_status, by=event.by, task=task.id, detail=_comment(event))
        self.settle(run, token, node)

    def _reject(self, run, token, node, task, event):
        self._require_assignee(task, event)
        self.close(run, task, DECLINED, event.by, event.comment)
        run.acted(event.by)
        run.log(node.id, "reject", by=event.by, task=task.id, detail=_comment(event))
        self.settle(run, token, node)

    def _return(self, run, token, node, task, event):
        self._require_assignee(task, event)
        if not node.allow_return:
            raise ActionRefused("flow_action_not_allowed", action="return")
        target = run.return_target(token, event.to)
        self.close(run, task, RETURNED, event.by, event.comment)
        for other in self.visit_tasks(run, token):
            if other.status in OPEN_TASK:
                self.close(run, other, VOID)
        run.cancel_timers(token.id, node.id)
        run.acted(event.by)
        run.log(node.id, "return", by=event.by, task=task.id, detail={"to": event.to, **_comment(event)})
        run.return_to(token, target)

    def _transfer(self, run, token, node, task, event):
        self._require_assignee(task, event)
        if not node.allow_transfer:
            raise ActionRefused("flow_action_not_allowed", action="transfer")
        if not isinstance(event.to, int) or isinstance(event.to, bool) or event.to == task.assignee:
            raise ActionRefused("flow_needs_users", "/to")
        self.close(run, task, TRANSFERRED, event.by, event.comment)
        run.log(node.id, "transfer", by=event.by, task=task.id, detail={"to": event.to, **_comment(event)})
        origin = task.origin if task.origin in ("before", "after") else "transfer"
        self.new_task(run, token, node, event.to, PENDING, task.position, task.visit, origin, task.waits_on)
        self.settle(run, token, node)

    def _add_signer(self, run, token, node, task, event):
        self._require_assignee(task, event)
        if not node.allow_add_signer:
            raise ActionRefused("flow_action_not_allowed", action="add_signer")
        users = [u for u in dict.fromkeys(event.users) if isinstance(u, int) and u != task.assignee]
        if not users or event.where not in ("before", "after"):
            raise ActionRefused("flow_needs_users", "/users")
        tasks = self.visit_tasks(run, token)
        if event.where == "before":
            lower = max((t.position for t in tasks if t.position < task.position), default=task.position - 1)
            upper = task.position
        else:
            lower = task.position
            upper = min((t.position for t in tasks if t.position > task.position), default=task.position + 1)
        step = (upper - lower) / (len(users) + 1)
        sequential = node.mode == "sequential"
        added = [self.new_task(run, token, node, user, QUEUED if sequential and (event.where == "after" or i > 0)
                               else PENDING, lower + step * (i + 1), task.visit, event.where)
                 for i, user in enumerate(users)]
        run.acted(event.by)
        run.log(node.id, "add_signer", by=event.by, task=task.id,
                detail={"where": event.where, "users": users, **_comment(event)})
        if event.where == "before":  # the adder decides after them: their task waits, out of the inbox
            self.close(run, task, VOID)
            run.put_task(evolve(run.tasks[task.id], status=QUEUED, waits_on=tuple(t.id for t in added),
                                 decided_at=None))
        else:  # adding after means agreeing now; the added signers follow
            self.close(run, task, self.agreed_status, event.by, event.comment)
        self.settle(run, token, node)

    def _urge(self, run, token, node, task, event):
        if event.by != run.instance.initiator:
            raise ActionRefused("flow_not_initiator")
        waiting = tuple(t.assignee for t in self.visit_tasks(run, token) if t.status == PENDING)
        if waiting:
            run.emit(Notify(waiting, event.comment or f"请尽快处理：{node.name or node.id}", "urge", node=node.id))
        run.log(node.id, "urge", by=event.by, task=task.id, detail={"to": list(waiting)})

    def _comment(self, run, token, node, task, event):
        if event.by not in (task.assignee, run.instance.initiator):
            raise ActionRefused("flow_not_assignee")
        run.log(node.id, "comment", by=event.by, task=task.id, detail=_comment(event))

    # ---- timeouts -----------------------------------------------------------------------------------------------
    def resume(self, run, token, node, event):
        timer = run.timers[event.timer]
        timeout = node.timeout[timer.stage]
        late = [t for t in self.visit_tasks(run, token) if t.status == PENDING]
        run.log(node.id, "timeout", detail={"action": timeout.action, "stage": timer.stage,
                                            "late": [t.assignee for t in late]})
        if timeout.action == "remind":
            extra = run.resolve(timeout.to) if timeout.to else []
            to = tuple(dict.fromkeys([t.assignee for t in late] + extra))
            if to:
                run.emit(Notify(to, f"已超时未处理：{node.name or node.id}", "remind", node=node.id))
        elif timeout.action == "escalate":
            for task in late:
                specs = timeout.to or [AssigneeSpec(manager={"levels": 1})]
                heirs = [u for u in run.resolve(specs, relative_to=task.assignee) if u != task.assignee]
                if not heirs:
                    run.emit(Notify((task.assignee,), f"已超时未处理：{node.name or node.id}", "remind",
                                    node=node.id))
                    continue
                self.close(run, task, ESCALATED)
                for i, user in enumerate(heirs):
                    self.new_task(run, token, node, user, PENDING, task.position + i * 1e-6, task.visit,
                                  "escalate", task.waits_on)
                run.emit(Notify(tuple(heirs), f"已升级给你处理：{node.name or node.id}", "escalated", node=node.id))
            self.settle(run, token, node)
        elif timeout.action == "auto_approve":
            for task in late:
                self.close(run, task, AUTO_APPROVED)
            self.decide(run, token, node, self.agreed_outcome)
        else:
            self.decide(run, token, node, "rejected")


ALL_ACTIONS = {"approve", "reject", "submit", "return", "transfer", "add_signer", "urge", "comment", "read"}


def _comment(event) -> dict:
    return {"comment": event.comment} if event.comment else {}


class Approval(Human):
    key, label, props = "approval", ("审批", "Approval"), ApprovalDef
    outcomes, default_outcome, ends_on = ("approved", "rejected"), "approved", {"rejected": "rejected"}
    task_kind, agreed_status, agreed_outcome = "approval", APPROVED, "approved"
    actions = {"approve", "reject", "return", "transfer", "add_signer", "urge", "comment"}

    def writable(self, node):
        return [(("editable", i), key) for i, key in enumerate(node.editable)]

    def auto_passes(self, run, node, task) -> bool:
        if task.origin != "base":
            return False
        rule = node.auto_pass
        if rule.initiator and task.assignee == run.instance.initiator:
            return True
        return rule.already_approved and run.approved_before(task.assignee, task.visit)

    def _approve(self, run, token, node, task, event):
        self._agree(run, token, node, task, event)


class FillIn(Human):
    """填写: the assignee completes the given fields of the record, then the flow goes on."""
    key, label, props = "fill_in", ("填写", "Fill in"), FillInDef
    outcomes, default_outcome, ends_on = ("submitted", "rejected"), "submitted", {"rejected": "rejected"}
    task_kind, agreed_status, agreed_outcome = "fill_in", SUBMITTED, "submitted"
    actions = {"submit", "approve", "return", "transfer", "add_signer", "urge", "comment"}

    def writable(self, node):
        return [(("fields", i, "field"), f.field) for i, f in enumerate(node.fields)]

    def _submit(self, run, token, node, task, event):
        self._agree(run, token, node, task, event, required=[f.field for f in node.fields if f.required])

    _approve = _submit
