"""Identity resolution for one batch, planned in memory from what the database already knows.

Events sharing an identity belong to one person, so do identities the store (or a customer's own fields) ties to a
customer: a union-find over identities and customers puts each event in a group. A group holding no customer gets a
new one; a group holding several is one person known twice — the oldest customer survives and the others are
merged into it. Every query the runtime needs is then one per batch, not one per event."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engines.customers.events import Key, ParsedEvent
from engines.form.fields import field_type
from engines.form.fields.base import Context, FieldError
from engines.form.record import coerce_value, is_empty


@dataclass
class Group:
    events: list[ParsedEvent]  # oldest first
    keys: list[Key]  # every identity of the group's events, once
    customers: list[int]  # existing customers, oldest first: the survivor, then those merged into it
    links: list[tuple[Key, int]]  # identities already tied to a customer: why customers are merged
    claim: list[Key]  # identities the store does not hold yet: tied to the group's customer now
    values: dict[str, Any]  # customer field → value from the events (the newest wins; lists are unioned)

    @property
    def survivor(self) -> int | None:
        return self.customers[0] if self.customers else None

    @property
    def merged(self) -> list[int]:
        return self.customers[1:]


class _Sets:
    def __init__(self):
        self.parent: dict[Any, Any] = {}

    def find(self, node):
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:  # path compression
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def plan(events: list[ParsedEvent], stored: dict[Key, int], in_fields: dict[Key, list[int]],
         age: dict[int, Any]) -> list[Group]:
    """Groups of events, one per person. `stored`: identities the identity store ties to a customer; `in_fields`:
    identities found in customers' own fields (typed by staff, imported) and not yet in the store; `age`: a
    sortable age per customer (created_at, id) — the oldest survives a merge."""
    sets = _Sets()
    for event in events:
        first = ("k", event.keys[0])
        for key in event.keys:
            sets.union(first, ("k", key))
            for customer in ([stored[key]] if key in stored else in_fields.get(key, [])):
                sets.union(first, ("c", customer))
    members: dict[Any, list[ParsedEvent]] = {}
    for event in events:
        members.setdefault(sets.find(("k", event.keys[0])), []).append(event)
    groups = []
    for grouped in members.values():
        grouped.sort(key=lambda e: (e.occurred_at, e.index))
        keys = list(dict.fromkeys(key for event in grouped for key in event.keys))
        links = [(key, stored[key]) for key in keys if key in stored]
        links += [(key, customer) for key in keys if key not in stored for customer in in_fields.get(key, [])]
        customers = sorted({customer for _, customer in links}, key=lambda c: age[c])
        groups.append(Group(grouped, keys, customers, links, [key for key in keys if key not in stored],
                            fold(grouped)))
    groups.sort(key=lambda g: g.events[0].index)
    return groups


def fold(events: list[ParsedEvent]) -> dict[str, Any]:
    """The customer values a group's events carry, oldest to newest: a newer value wins, list values add up."""
    values: dict[str, Any] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.index)):
        for key, value in {**event.field_values, **event.profile}.items():
            if is_empty(value):
                continue
            if isinstance(value, list):
                values[key] = union(values.get(key) or [], value)
            else:
                values[key] = value
    return values


def fill(fields: dict, current: dict[str, Any], incoming: dict[str, Any], owned: set[str], ctx: Context) -> dict:
    """What to write on an existing customer: fields still empty get the events' values, fields the channels own
    get the newest, list fields (tags) gain the new items. Staff's values are never overwritten otherwise."""
    changes: dict[str, Any] = {}
    for key, value in incoming.items():
        f = fields.get(key)
        if f is None or key not in current:
            continue
        try:
            clean = coerce_value(f, value, ctx, field_type(f.type))
        except FieldError:
            continue  # checked when the event came in; a value the field refuses now is left to the write path
        now = current[key]
        if isinstance(clean, list):
            merged = union(now or [], clean)
            if merged != (now or []):
                changes[key] = merged
        elif is_empty(now) or (key in owned and clean != now):
            changes[key] = value
    return changes


def union(*lists: list) -> list:
    """Items of every list once, first occurrence first (items compared as JSON)."""
    seen, result = set(), []
    for items in lists:
        for item in items:
            marker = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
            if marker not in seen:
                seen.add(marker)
                result.append(item)
    return result
