"""Instance state as rows: one instance row, and token, task, timer and variable rows keyed inside the instance.

A step never rewrites a blob: it returns the new state and a `ChangeSet` naming only the rows it touched
(upserts by key) plus the history entries it appended, so the runtime writes exactly those rows.
Rows are named tuples (immutable, cheap to copy); a step replaces the ones it changes, so the state given to it
is never modified. Empty dict defaults are shared and never mutated: changes always build a new dict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

# instance statuses
RUNNING, COMPLETED, REJECTED, WITHDRAWN, CANCELLED, FAILED = (
    "running", "completed", "rejected", "withdrawn", "cancelled", "failed")
CLOSED = frozenset({COMPLETED, REJECTED, WITHDRAWN, CANCELLED, FAILED})

# task statuses: queued (its turn has not come), pending (in someone's inbox), then one of the closed ones
QUEUED, PENDING = "queued", "pending"
APPROVED, AUTO_APPROVED, DECLINED, RETURNED, TRANSFERRED, ESCALATED, VOID, SUBMITTED = (
    "approved", "auto_approved", "rejected", "returned", "transferred", "escalated", "cancelled", "submitted")
UNREAD, READ = "unread", "read"  # CC entries
OPEN_TASK = frozenset({QUEUED, PENDING})
AGREED = frozenset({APPROVED, AUTO_APPROVED, SUBMITTED})


class InstanceRow(NamedTuple):
    id: Any
    flow: str
    version: Any
    status: str
    initiator: int | None
    started_at: datetime
    form: str | None = None
    record_id: Any = None
    record: dict = {}  # snapshot of the record the flow runs on (refreshed by events)
    ended_at: datetime | None = None
    epoch: int = 0  # bumped on every return, so approvals before a return do not auto-pass the redo
    seq: int = 0  # last local id handed out (tokens, tasks, timers, requests)
    history_seq: int = 0
    acted: bool = False  # someone other than the initiator acted: withdrawing is then refused (default rule)
    parent: tuple | None = None  # (parent instance id, request id) for a sub-flow that its parent waits on


class TokenRow(NamedTuple):
    """Where one branch of the instance is. `stack` holds (fork token id, width) per open parallel region."""
    id: str
    node: str
    status: str  # active, waiting, done, cancelled
    stack: tuple = ()
    wait: str | None = None  # what it waits for: "tasks", "timer", "join", "request:<id>", "condition", "loop"


class TaskRow(NamedTuple):
    id: str
    token: str
    node: str
    kind: str  # approval, fill_in, cc, resubmit
    assignee: int
    status: str
    position: float  # order of a sequential approval; added signers slot in before or after
    epoch: int
    created_at: datetime
    visit: str = ""  # one arrival of the token at the node: tasks of a redo (return, loop) are a new visit
    origin: str = "base"  # base, before, after, transfer, escalate
    waits_on: tuple = ()  # a signer added "before" holds this task queued until they agree
    decided_at: datetime | None = None
    decided_by: int | None = None
    comment: str | None = None
    due_at: datetime | None = None


class TimerRow(NamedTuple):
    id: str
    token: str
    node: str
    purpose: str  # delay, wait, wait_timeout, sla
    at: datetime
    status: str = "scheduled"  # scheduled, fired, cancelled
    stage: int = 0  # which timeout of a human step


class HistoryRow(NamedTuple):
    seq: int
    at: datetime
    node: str | None
    action: str
    by: int | None = None
    task: str | None = None
    detail: dict = {}


@dataclass(frozen=True)
class FlowState:
    instance: InstanceRow
    tokens: dict[str, TokenRow] = field(default_factory=dict)
    tasks: dict[str, TaskRow] = field(default_factory=dict)
    timers: dict[str, TimerRow] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.instance.status in CLOSED

    def open_tasks(self) -> list[TaskRow]:
        return [t for t in self.tasks.values() if t.status in OPEN_TASK]


@dataclass
class ChangeSet:
    """The rows one step wrote: upsert each by (instance id, key); append the history."""
    instance: InstanceRow | None = None  # set when the instance row changed
    tokens: dict[str, TokenRow] = field(default_factory=dict)
    tasks: dict[str, TaskRow] = field(default_factory=dict)
    timers: dict[str, TimerRow] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    history: list[HistoryRow] = field(default_factory=list)

    def __len__(self) -> int:
        return (self.instance is not None) + len(self.tokens) + len(self.tasks) + len(self.timers) + \
            len(self.variables) + len(self.history)



def evolve(row, **changes):
    """A copy of a row with some columns changed (rows are named tuples: cheap to copy, never modified)."""
    return row._replace(**changes)
