"""What the runtime must do after a step: data only. Task, token and timer rows are in the ChangeSet; these say
what to *do* (notify someone, arm a timer, write a record, call out)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CreateTask:
    task: str
    node: str
    kind: str
    assignee: int
    title: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class CancelTask:
    task: str
    assignee: int


@dataclass(frozen=True)
class Notify:
    to: tuple[int, ...]
    text: str
    reason: str  # message, remind, urge, escalated, returned, rejected…
    title: str | None = None
    channel: str = "in_app"
    node: str | None = None


@dataclass(frozen=True)
class Cc:
    to: tuple[int, ...]
    node: str
    text: str | None = None


@dataclass(frozen=True)
class ScheduleTimer:
    timer: str
    at: datetime


@dataclass(frozen=True)
class CancelTimer:
    timer: str


@dataclass(frozen=True)
class WriteRecord:
    """Through the runtime's one write path. `request` set: answer with Reply(request, value=record id)."""
    op: str  # create, update, delete
    form: str
    record_id: Any = None
    values: dict = field(default_factory=dict)
    request: str | None = None


@dataclass(frozen=True)
class AssignOwner:
    """Set `field` (owner by default) of a record to one of the candidates; the runtime keeps round-robin and
    load counters across instances, so it picks."""
    form: str
    record_id: Any
    field: str
    candidates: tuple[int, ...]
    strategy: str  # first, round_robin, least_loaded, random
    request: str | None = None  # set: answer with Reply(request, value=the chosen user), so the flow sees it


@dataclass(frozen=True)
class Query:
    """Read records: `filter` (expression text over `form`, compiled by the runtime to SQL) AND field = value for
    each `match`. `aggregate` None: answer Reply(request, value=[records]); else the number."""
    request: str
    form: str
    filter: str | None
    match: dict
    aggregate: str | None = None  # count, sum, avg, min, max
    field: str | None = None
    limit: int = 1000
    sort: str | None = None
    desc: bool = False


@dataclass(frozen=True)
class HttpRequest:
    """Through the outbox. `wait`: answer with HttpResponse(request, …); otherwise fire and forget."""
    request: str
    method: str
    url: str
    headers: dict
    body: str | None
    wait: bool
    timeout_seconds: int = 10
    connector: str | None = None  # sent through the app's connector (auth, rate limit, mappings) instead of `url`
    operation: str | None = None
    scope: dict | None = None  # what the connector's mappings read: the record and the flow's variables


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str | None
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GenerateDocument:
    request: str
    template: str
    form: str
    record_id: Any
    attach_to: str | None  # attachment field of the record, or None: answer with the file in Reply


@dataclass(frozen=True)
class StartSubflow:
    request: str
    flow: str
    record_id: Any
    form: str | None
    variables: dict
    wait: bool


@dataclass(frozen=True)
class Finish:
    status: str
    parent: tuple | None = None  # tell this parent: SubflowFinished(request=parent[1], status=…)
    variables: dict = field(default_factory=dict)
