"""What can happen to an instance. Every event brings its moment (`at`, aware): the engine reads no clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Start:
    at: datetime
    instance_id: Any
    initiator: int | None = None
    record: dict | None = None  # the record's stored values (with "id"); None for flows without a form
    variables: dict = field(default_factory=dict)  # inputs: webhook payload, manual button, parent flow
    parent: tuple | None = None  # (parent instance id, request id) when a parent flow waits on this one


@dataclass(frozen=True)
class TaskAction:
    """approve, reject, submit (fill-in), return, transfer, add_signer, urge, comment, read (CC)."""
    at: datetime
    task: str
    action: str
    by: int
    comment: str | None = None
    to: Any = None  # return: a node id or "start"; transfer: a user id
    users: tuple[int, ...] = ()  # add_signer
    where: str = "before"  # add_signer: before | after
    values: dict = field(default_factory=dict)  # fill-in: field → value


@dataclass(frozen=True)
class Withdraw:
    at: datetime
    by: int
    reason: str | None = None


@dataclass(frozen=True)
class Cancel:
    """An administrator stops the instance."""
    at: datetime
    by: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TimerFired:
    at: datetime
    timer: str


@dataclass(frozen=True)
class RecordChanged:
    at: datetime
    record: dict


@dataclass(frozen=True)
class Reply:
    """The runtime's answer to a request effect (Query, WriteRecord with a reply, GenerateDocument…):
    `value` is the rows, the number, or the new record's id."""
    at: datetime
    request: str
    value: Any = None
    ok: bool = True
    error: str | None = None


@dataclass(frozen=True)
class HttpResponse:
    at: datetime
    request: str
    status: int
    body: Any = None


@dataclass(frozen=True)
class SubflowFinished:
    at: datetime
    request: str
    status: str  # the sub-flow's final instance status
    variables: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """The runtime could not carry out an effect (a record write refused): the instance stops as failed."""
    at: datetime
    what: str
    error: str
