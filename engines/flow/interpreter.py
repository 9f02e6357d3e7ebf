"""The pure interpreter: step(flow, state, event, ctx) → (new state, effects, change set).

Tokens move through nodes; a node either passes its token on at once or leaves it waiting (on tasks, a timer, a
join, a request or a condition). An event wakes the waiting token it concerns. Nothing here reads the clock or
does I/O: time comes with the event, the org chart with the context, and everything to do goes out as effects.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable, NamedTuple

from engines.expr import EvalContext
from engines.flow import events as ev
from engines.flow.assignees import Directory, OrgChart, resolve
from engines.flow.definition import CompiledFlow
from engines.flow.durations import BusinessCalendar
from engines.flow.effects import CancelTask, CancelTimer, Cc, CreateTask, Finish, Notify, ScheduleTimer
from engines.flow.errors import ActionRefused
from engines.flow.state import (AGREED, APPROVED, CLOSED, COMPLETED, FAILED, OPEN_TASK, PENDING, READ, RUNNING,
                                SUBMITTED, UNREAD, VOID, ChangeSet, FlowState, HistoryRow, InstanceRow, TaskRow,
                                TimerRow, TokenRow, evolve)

MAX_NODE_ENTRIES = 10_000  # per step: an instance that keeps moving without waiting is stopped as failed
ACTIVE, WAITING, DONE, CANCELLED = "active", "waiting", "done", "cancelled"
LIVE = frozenset({ACTIVE, WAITING})


@dataclass(frozen=True)
class FlowContext:
    """What a step may know of the world: the org chart (in memory), the zone and the working calendar."""
    directory: Directory = field(default_factory=OrgChart)
    tz: tzinfo = timezone.utc
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)


class StepResult(NamedTuple):
    state: FlowState
    effects: list
    changes: ChangeSet


class Run:
    """One step's working set: copies of the row maps, the changes made, the effects emitted."""

    def __init__(self, flow: CompiledFlow, state: FlowState, ctx: FlowContext, now: datetime, user: int | None):
        self.flow, self.ctx, self.now, self.user = flow, ctx, now, user
        self.instance = state.instance
        self.tokens = dict(state.tokens)
        self.tasks = dict(state.tasks)
        self.timers = dict(state.timers)
        self.variables = dict(state.variables)
        self.changes = ChangeSet()
        self.effects: list = []
        self.queue: deque[str] = deque()
        self.entries = 0
        self._seq = state.instance.seq
        self._history = state.instance.history_seq
        self._instance_changed = False
        self._scope: dict | None = None

    # ---- rows ---------------------------------------------------------------------------------------------------
    @property
    def record(self) -> dict:
        return self.instance.record

    def new_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq}"

    def set_instance(self, **changes) -> None:
        self.instance = evolve(self.instance, **changes)
        self._instance_changed = True

    def put_token(self, token: TokenRow) -> TokenRow:
        self.tokens[token.id] = self.changes.tokens[token.id] = token
        return token

    def put_task(self, task: TaskRow) -> TaskRow:
        self.tasks[task.id] = self.changes.tasks[task.id] = task
        return task

    def put_timer(self, timer: TimerRow) -> TimerRow:
        self.timers[timer.id] = self.changes.timers[timer.id] = timer
        return timer

    def set_variable(self, key: str, value: Any) -> None:
        self.variables[key] = self.changes.variables[key] = value
        self._scope = None

    def update_record(self, values: dict) -> None:
        self.set_instance(record={**self.instance.record, **values})
        self._scope = None

    def log(self, node: str | None, action: str, by: int | None = None, task: str | None = None,
            detail: dict | None = None) -> None:
        self._history += 1
        self.changes.history.append(HistoryRow(self._history, self.now, node, action, by, task, detail or {}))

    def emit(self, effect) -> None:
        self.effects.append(effect)

    def acted(self, by: int | None) -> None:
        if by != self.instance.initiator and not self.instance.acted:
            self.set_instance(acted=True)

    # ---- values -------------------------------------------------------------------------------------------------
    def scope_values(self) -> dict:
        if self._scope is None:
            user_vars = {k: v for k, v in self.variables.items() if k in self.flow.variables}
            self._scope = {**self.instance.record, **user_vars}
        return self._scope

    def eval_ctx(self) -> EvalContext:
        return EvalContext(self.now, self.ctx.tz, self.user if self.user is not None else self.instance.initiator)

    def value(self, node: str, name: str) -> Any:
        return self.flow.exprs[(node, name)].evaluate(self.scope_values(), self.eval_ctx())

    def edge_holds(self, edge) -> bool:
        return bool(self.flow.conditions[id(edge)].evaluate(self.scope_values(), self.eval_ctx()))

    def render(self, node: str, name: str) -> str:
        from engines.flow.templates import render

        user_vars = {k: v for k, v in self.variables.items() if k in self.flow.variables}
        context = {"record": self.instance.record, "vars": user_vars, "initiator": self.instance.initiator,
                   "instance": {"id": self.instance.id, "flow": self.flow.key}, "now": self.now}
        return render(self.flow.templates[(node, name)], context)

    def resolve(self, specs, relative_to: int | None = None) -> list[int]:
        """People named by specs; `field` reads the record (with its loaded links) and the flow's variables."""
        return resolve(specs or [], self.ctx.directory, self.scope_values(), self.instance.initiator, relative_to)

    # ---- moving tokens ------------------------------------------------------------------------------------------
    def move(self, token: TokenRow, node: str) -> None:
        token = self.put_token(evolve(self.tokens[token.id], node=node, status=ACTIVE, wait=None))
        self.queue.append(token.id)

    def advance(self, token: TokenRow, outcome: str | None = None) -> None:
        token = self.tokens[token.id]
        node_type = self.flow.types[token.node]
        edges = self.flow.out_edges.get(token.node, [])
        edge = next((e for e in edges if outcome is not None and e.outcome == outcome), None)
        if edge is None and (outcome in (None, node_type.default_outcome) or outcome not in node_type.ends_on):
            edge = next((e for e in edges if e.outcome is None), None)
        if edge is not None:
            self.move(token, edge.to)
            return
        self.retire(token)
        self.finish(node_type.ends_on.get(outcome, "failed"), reason=None if outcome in node_type.ends_on
                    else "no_edge")

    def wait(self, token: TokenRow, what: str) -> None:
        self.put_token(evolve(self.tokens[token.id], status=WAITING, wait=what))

    def retire(self, token: TokenRow, status: str = DONE) -> None:
        self.put_token(evolve(self.tokens[token.id], status=status, wait=None))

    def live_tokens(self) -> list[TokenRow]:
        return [t for t in self.tokens.values() if t.status in LIVE]

    def fork(self, token: TokenRow, targets: list[str]) -> None:
        token = self.tokens[token.id]
        self.retire(token)
        stack = token.stack + ((token.id, len(targets)),)
        for target in targets:
            child = self.put_token(TokenRow(self.new_id("k"), target, ACTIVE, stack))
            self.queue.append(child.id)

    def join(self, token: TokenRow, node: str) -> None:
        token = self.tokens[token.id]
        fork_id, width = token.stack[-1]
        arrived = [t for t in self.tokens.values() if t.node == node and t.status == WAITING and t.wait == "join"
                   and t.stack and t.stack[-1][0] == fork_id and t.id != token.id]
        if len(arrived) + 1 < width:
            self.wait(token, "join")
            return
        for t in arrived + [token]:
            self.retire(t)
        merged = self.put_token(TokenRow(self.new_id("k"), node, ACTIVE, token.stack[:-1]))
        self.advance(merged)

    def schedule(self, token: TokenRow, node: str, purpose: str, at: datetime, stage: int = 0,
                 wait: bool = True) -> TimerRow:
        timer = self.put_timer(TimerRow(self.new_id("m"), token.id, node, purpose, at, stage=stage))
        self.emit(ScheduleTimer(timer.id, at))
        if wait:
            self.wait(token, "timer")
        return timer

    def cancel_timers(self, token_id: str, node: str | None = None) -> None:
        for timer in list(self.timers.values()):
            if timer.token == token_id and timer.status == "scheduled" and (node is None or timer.node == node):
                self.put_timer(evolve(timer, status="cancelled"))
                self.emit(CancelTimer(timer.id))

    def request(self, token: TokenRow, make: Callable[[str], Any]) -> str:
        request_id = self.new_id("r")
        self.emit(make(request_id))
        self.wait(token, "request:" + request_id)
        return request_id

    def carbon_copy(self, token: TokenRow, node: str, users: list[int], text: str | None) -> None:
        users = [u for u in users]
        for user in users:
            self.put_task(TaskRow(self.new_id("t"), token.id, node, "cc", user, UNREAD, 0.0, self.instance.epoch,
                                  self.now))
        if users:
            self.emit(Cc(tuple(users), node, text))
            self.log(node, "cc", detail={"to": users})

    def approved_before(self, user: int, visit: str) -> bool:
        epoch = self.instance.epoch
        return any(t.assignee == user and t.status == APPROVED and t.kind == "approval" and t.epoch == epoch
                   and t.visit != visit for t in self.tasks.values())

    # ---- returning to an earlier step ---------------------------------------------------------------------------
    def return_target(self, token: TokenRow, to: Any) -> tuple[str, tuple]:
        if to in ("start", "initiator", self.flow.start):
            return self.flow.start, ()
        token = self.tokens[token.id]
        current = token.wait[len("tasks:"):] if token.wait and token.wait.startswith("tasks:") else None
        for task in self.tasks.values():
            if task.node == to and task.kind in ("approval", "fill_in") and task.visit != current \
                    and task.status in AGREED:
                stack = self.tokens[task.token].stack
                if token.stack[:len(stack)] == stack:
                    return to, stack
        raise ActionRefused("flow_return_target", "/to", node=to)

    def return_to(self, token: TokenRow, target: tuple[str, tuple]) -> None:
        node, stack = target
        token = self.tokens[token.id]
        self.set_instance(epoch=self.instance.epoch + 1)
        if len(stack) < len(token.stack):  # leaving a parallel region: its other branches stop
            region = token.stack[:len(stack) + 1]
            for other in self.live_tokens():
                if other.id != token.id and other.stack[:len(region)] == region:
                    self.stop_token(other)
        token = self.put_token(evolve(token, stack=stack))
        if self.instance.initiator is not None:
            self.emit(Notify((self.instance.initiator,), "流程已退回", "returned", node=node))
        if node == self.flow.start:
            visit = self.new_id("v")
            self.put_token(evolve(token, node=node, status=WAITING, wait="tasks:" + visit))
            task = self.put_task(TaskRow(self.new_id("t"), token.id, node, "resubmit", self.instance.initiator,
                                         PENDING, 0.0, self.instance.epoch, self.now, visit=visit))
            self.emit(CreateTask(task.id, node, "resubmit", task.assignee, "重新提交"))
        else:
            self.move(token, node)

    def stop_token(self, token: TokenRow) -> None:
        for task in list(self.tasks.values()):
            if task.token == token.id and task.status in OPEN_TASK:
                self.put_task(evolve(task, status=VOID, decided_at=self.now))
                if task.status == PENDING:
                    self.emit(CancelTask(task.id, task.assignee))
        self.cancel_timers(token.id)
        self.retire(token, CANCELLED)

    # ---- the end ------------------------------------------------------------------------------------------------
    def finish(self, status: str, reason: str | None = None) -> None:
        if self.instance.status in CLOSED:
            return
        for token in self.live_tokens():
            self.stop_token(token)
        self.queue.clear()
        self.set_instance(status=status, ended_at=self.now)
        self.log(None, "finish", detail={"status": status, **({"reason": reason} if reason else {})})
        user_vars = {k: v for k, v in self.variables.items() if k in self.flow.variables}
        self.emit(Finish(status, self.instance.parent, user_vars))

    def drain(self) -> None:
        while self.queue:
            token = self.tokens[self.queue.popleft()]
            if token.status != ACTIVE or self.instance.status in CLOSED:
                continue
            self.entries += 1
            if self.entries > MAX_NODE_ENTRIES:
                self.finish("failed", reason="too_many_steps")
                return
            self.flow.types[token.node].enter(self, token, self.flow.nodes[token.node])

    def result(self) -> StepResult:
        if self._seq != self.instance.seq or self._history != self.instance.history_seq:
            self.set_instance(seq=self._seq, history_seq=self._history)
        if self._instance_changed:
            self.changes.instance = self.instance
        state = FlowState(self.instance, self.tokens, self.tasks, self.timers, self.variables)
        return StepResult(state, self.effects, self.changes)


# ---- events -------------------------------------------------------------------------------------------------------
def step(flow: CompiledFlow, state: FlowState | None, event: Any, ctx: FlowContext | None = None) -> StepResult:
    """Apply one event. Raises ActionRefused for an action the instance cannot take (nothing changes then)."""
    ctx = ctx or FlowContext()
    if isinstance(event, ev.Start):
        return _start(flow, event, ctx)
    if state is None:
        raise ValueError("only a Start event may come without a state")
    if state.instance.version != flow.version:
        raise ActionRefused("flow_wrong_version", instance=state.instance.version, definition=flow.version)
    run = Run(flow, state, ctx, event.at, getattr(event, "by", None))
    HANDLERS[type(event)](run, event)
    run.drain()
    return run.result()


def _start(flow: CompiledFlow, event: ev.Start, ctx: FlowContext) -> StepResult:
    record = dict(event.record or {})
    instance = InstanceRow(event.instance_id, flow.key, flow.version, RUNNING, event.initiator, event.at,
                           form=flow.form, record_id=record.get("id"), record=record, parent=event.parent)
    run = Run(flow, FlowState(instance), ctx, event.at, event.initiator)
    run._instance_changed = True
    for key, variable in flow.variables.items():
        run.set_variable(key, event.variables.get(key, variable.default))
    run.log(flow.start, "start", by=event.initiator)
    token = run.put_token(TokenRow(run.new_id("k"), flow.start, ACTIVE))
    run.queue.append(token.id)
    run.drain()
    return run.result()


def _open(run: Run) -> None:
    if run.instance.status in CLOSED:
        raise ActionRefused("flow_instance_closed", status=run.instance.status)


def _task_action(run: Run, event: ev.TaskAction) -> None:
    task = run.tasks.get(event.task)
    if task is None:
        raise ActionRefused("flow_task_unknown", task=event.task)
    if task.kind == "cc":  # a CC entry may be marked read after the flow has ended
        if event.action != "read" or event.by != task.assignee:
            raise ActionRefused("flow_action_not_allowed", action=event.action)
        if task.status == UNREAD:
            run.put_task(evolve(task, status=READ, decided_at=run.now))
        return
    _open(run)
    token = run.tokens[task.token]
    if task.kind == "resubmit":
        _resubmit(run, token, task, event)
        return
    node = run.flow.nodes[task.node]
    run.flow.types[task.node].act(run, token, node, task, event)


def _resubmit(run: Run, token: TokenRow, task: TaskRow, event: ev.TaskAction) -> None:
    if event.action not in ("submit", "approve", "comment"):
        raise ActionRefused("flow_action_not_allowed", action=event.action)
    if task.status != PENDING:
        raise ActionRefused("flow_task_closed", status=task.status)
    if event.by != task.assignee:
        raise ActionRefused("flow_not_initiator")
    if event.action == "comment":
        run.log(task.node, "comment", by=event.by, task=task.id, detail={"comment": event.comment})
        return
    if event.values:
        from engines.flow.effects import WriteRecord

        run.emit(WriteRecord("update", run.instance.form, run.instance.record_id, dict(event.values)))
        run.update_record(dict(event.values))
    run.put_task(evolve(task, status=SUBMITTED, decided_at=run.now, decided_by=event.by, comment=event.comment))
    run.log(task.node, "resubmit", by=event.by, task=task.id)
    run.advance(token)


def _withdraw(run: Run, event: ev.Withdraw) -> None:
    _open(run)
    if event.by != run.instance.initiator:
        raise ActionRefused("flow_not_initiator")
    rule = run.flow.definition.withdraw
    if rule == "never":
        raise ActionRefused("flow_action_not_allowed", action="withdraw")
    if rule == "before_action" and run.instance.acted:
        raise ActionRefused("flow_withdraw_too_late")
    run.log(None, "withdraw", by=event.by, detail={"reason": event.reason} if event.reason else {})
    run.finish("withdrawn")


def _cancel(run: Run, event: ev.Cancel) -> None:
    _open(run)
    run.log(None, "cancel", by=event.by, detail={"reason": event.reason} if event.reason else {})
    run.finish("cancelled")


def _timer_fired(run: Run, event: ev.TimerFired) -> None:
    timer = run.timers.get(event.timer)
    if timer is None or timer.status != "scheduled" or run.instance.status in CLOSED:
        return  # stale: cancelled, fired already, or the instance has ended
    run.put_timer(evolve(timer, status="fired"))
    token = run.tokens[timer.token]
    if token.status != WAITING or token.node != timer.node:
        return
    run.flow.types[timer.node].resume(run, token, run.flow.nodes[timer.node], event)


def _record_changed(run: Run, event: ev.RecordChanged) -> None:
    if run.instance.status in CLOSED:
        return
    run.update_record(dict(event.record))
    for token in list(run.tokens.values()):
        if token.status == WAITING and token.wait == "condition":
            run.flow.types[token.node].resume(run, token, run.flow.nodes[token.node], event)


def _reply(run: Run, event: Any) -> None:
    if run.instance.status in CLOSED:
        return
    wanted = "request:" + event.request
    token = next((t for t in run.tokens.values() if t.status == WAITING and t.wait == wanted), None)
    if token is not None:
        run.flow.types[token.node].resume(run, token, run.flow.nodes[token.node], event)


def _failed(run: Run, event: ev.Failed) -> None:
    """A write of the last step was refused. That step may have ended the instance already: completed
    becomes failed (the runtime carries out a step's effects after the step)."""
    if run.instance.status in CLOSED and run.instance.status != COMPLETED:
        return
    run.log(None, "effect_failed", detail={"what": event.what, "error": event.error})
    if run.instance.initiator is not None:
        run.emit(Notify((run.instance.initiator,), f"流程执行失败：{event.what}", "failed"))
    if run.instance.status == COMPLETED:
        run.set_instance(status=FAILED)
        run.log(None, "finish", detail={"status": FAILED, "reason": "effect_failed"})
    else:
        run.finish(FAILED, reason="effect_failed")


HANDLERS: dict[type, Callable[[Run, Any], None]] = {
    ev.Failed: _failed,
    ev.TaskAction: _task_action, ev.Withdraw: _withdraw, ev.Cancel: _cancel, ev.TimerFired: _timer_fired,
    ev.RecordChanged: _record_changed, ev.Reply: _reply, ev.HttpResponse: _reply, ev.SubflowFinished: _reply,
}
