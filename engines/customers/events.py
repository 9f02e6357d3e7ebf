"""Checking a batch of channel events before anything touches the database: the envelope of each event (type,
time, identities, profile, data, optional id), identities normalised. A bad event is reported at its own place
(`/events/3/identities/phone`) and left out; the good ones go on."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from engines.customers.definition import IdentityDef
from engines.customers.kinds import KINDS, IdentityError
from engines.form.fields.base import Context
from engines.form.record import check_record
from engines.problems import Problem, pointer, text_problems

EVENT_KEYS = ("type", "occurred_at", "identities", "profile", "data", "id")
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")
MAX_DATA_CHARS = 16_000  # a behaviour record, not a document store
MAX_EXTERNAL_ID = 100
_SUSPECT = re.compile(r"\\u0000|[\ud800-\udfff]")  # NUL (as JSON writes it) or a lone surrogate

Key = tuple[str, str, str]  # (kind, scope, normalised value); scope is the channel for per-channel kinds, else ""


@dataclass
class ParsedEvent:
    index: int
    type: str
    occurred_at: datetime  # naive UTC, like every platform table
    keys: list[Key]
    identities: dict[str, str]  # kind → normalised value, as the event store keeps it
    field_values: dict[str, Any]  # customer field → value, from the identities the app maps to fields
    profile: dict[str, Any]  # customer field → value as sent (checked)
    data: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None


def parse_time(value: Any, ctx: Context) -> datetime:
    """ISO 8601 → naive UTC; a time without offset is in the deployment's zone. Raises ValueError."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ctx.tz)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def parse_events(identity: IdentityDef, form, channel: str, events: list, ctx: Context,
                 closed: set[str] = frozenset()) -> tuple[list[ParsedEvent], dict[int, list[Problem]]]:
    """The good events, and the problems of the others by index (paths `/events/{i}/…`). `form` is the customer
    FormDef; `closed` the customer fields the caller may not write (their profile values are refused)."""
    parsed: list[ParsedEvent] = []
    problems: dict[int, list[Problem]] = {}
    seen_ids: dict[str, int] = {}
    mapped = {field_key: kind for kind, field_key in identity.keys.items()}
    for i, raw in enumerate(events):
        here = pointer("events", i)
        found: list[Problem] = []
        event = _event(identity, form, channel, raw, ctx, closed, mapped, found)
        if event is not None and event.external_id is not None:
            if event.external_id in seen_ids:
                found.append(Problem("/id", "duplicate_in_batch", {"value": event.external_id,
                                                                   "other": seen_ids[event.external_id]}))
            seen_ids.setdefault(event.external_id, i)
        if found:
            problems[i] = [p.under(here) for p in found]
        elif event is not None:
            event.index = i
            parsed.append(event)
    return parsed, problems


def _event(identity: IdentityDef, form, channel: str, raw: Any, ctx: Context, closed: set[str],
           mapped: dict[str, str], found: list[Problem]) -> ParsedEvent | None:
    if not isinstance(raw, dict):
        found.append(Problem("", "not_object"))
        return None
    if _SUSPECT.search(json.dumps(raw, ensure_ascii=False, default=str)):  # the exact walk only when needed
        found += text_problems(raw)
    found += [Problem(pointer(key), "unknown_key", {"key": key}) for key in raw if key not in EVENT_KEYS]
    kind_of_event = raw.get("type")
    if kind_of_event is None:
        found.append(Problem("/type", "required"))
    elif not isinstance(kind_of_event, str) or not TYPE_PATTERN.match(kind_of_event):
        found.append(Problem("/type", "event_bad_type", {"value": str(kind_of_event)[:60]}))
    occurred_at = None
    if raw.get("occurred_at") is None:
        found.append(Problem("/occurred_at", "required"))
    else:
        try:
            occurred_at = parse_time(raw["occurred_at"], ctx)
        except (ValueError, TypeError, OverflowError):
            found.append(Problem("/occurred_at", "not_datetime", {"value": str(raw["occurred_at"])[:60]}))
    external_id = raw.get("id")
    if external_id is not None and (not isinstance(external_id, str) or not external_id.strip()
                                    or len(external_id) > MAX_EXTERNAL_ID):
        found.append(Problem("/id", "event_bad_id", {"limit": MAX_EXTERNAL_ID}))
    keys, stored, field_values = _identities(identity, channel, raw.get("identities"), found)
    profile = raw.get("profile") or {}
    if not isinstance(profile, dict):
        found.append(Problem("/profile", "not_object"))
        profile = {}
    checked = {}
    for key, value in profile.items():
        problem = _profile_problem(key, form, mapped, closed)
        if problem is None:
            checked[key] = value
        else:
            found.append(problem)
    if form is not None and checked:
        _, bad = check_record(form.fields, checked, ctx, partial=True, form=form.key)
        found += [p.under("/profile") for p in bad]
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        found.append(Problem("/data", "not_object"))
    elif len(json.dumps(data, ensure_ascii=False, default=str)) > MAX_DATA_CHARS:
        found.append(Problem("/data", "too_long", {"limit": MAX_DATA_CHARS}))
    if found:
        return None
    return ParsedEvent(0, kind_of_event, occurred_at, keys, stored, field_values, dict(profile), data,
                       external_id.strip() if external_id else None)


def _profile_problem(key: str, form, mapped: dict[str, str], closed: set[str]) -> Problem | None:
    """A profile value no event may send: an identity field (it belongs in identities, where it also finds the
    customer), a field the caller may not write, a sub-table or many-relation (they live in tables of their own)."""
    here = pointer("profile", key)
    if key in mapped:
        return Problem(here, "identity_in_profile", {"key": key, "kind": mapped[key]})
    if key in closed:
        return Problem(here, "field_not_writable", {"key": key})
    f = form.field(key) if form is not None else None
    if f is not None and (f.type == "subtable" or (f.type == "relation" and getattr(f, "many", False))):
        return Problem(here, "event_profile_unsupported", {"key": key, "type": f.type})
    return None


def _identities(identity: IdentityDef, channel: str, given: Any,
                found: list[Problem]) -> tuple[list[Key], dict[str, str], dict[str, Any]]:
    if given is None or given == {}:
        found.append(Problem("/identities", "event_no_identity", {"known": ", ".join(KINDS.keys())}))
        return [], {}, {}
    if not isinstance(given, dict):
        found.append(Problem("/identities", "not_object"))
        return [], {}, {}
    keys, stored, field_values = [], {}, {}
    for kind_key, value in given.items():
        here = pointer("identities", kind_key)
        if kind_key not in KINDS:
            found.append(Problem(here, "identity_unknown_kind", {"kind": kind_key, "known": ", ".join(KINDS.keys())}))
            continue
        if value is None:
            continue  # a channel that knows no phone for this person says so with null
        kind = KINDS.get(kind_key)
        try:
            normalised = kind.normalise(value)
        except IdentityError as e:
            found.append(Problem(here, e.code, e.params))
            continue
        keys.append((kind_key, channel if kind.scoped else "", normalised))
        stored[kind_key] = normalised
        field_key = identity.field_of(kind_key)
        if field_key is not None:
            field_values[field_key] = kind.field_value(normalised, value)
    if not keys and not any(p.path.startswith("/identities") for p in found):
        found.append(Problem("/identities", "event_no_identity", {"known": ", ".join(KINDS.keys())}))
    return keys, stored, field_values
