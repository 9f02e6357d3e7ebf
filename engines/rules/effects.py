"""Effects of rule actions on one record: data the runtime acts on (runtime/rules.py), never done by the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StartFlow:
    flow: str  # a flow on the rule's form, started on the record


@dataclass(frozen=True)
class Notify:
    to: tuple[int, ...]
    text: str
    title: str | None = None
    channel: str = "in_app"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class CreateRecord:
    form: str
    values: dict[str, Any]


@dataclass(frozen=True)
class AssignOwner:
    """Who gets the record: `chosen` when the engine knows (by_field), else one of `candidates` by `strategy`."""
    field: str
    strategy: str  # by_field, round_robin, least_loaded
    candidates: tuple[int, ...] = ()
    chosen: int | None = None
