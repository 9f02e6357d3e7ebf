"""Channel events into the customer-event store, each resolved to one customer (OneID), and what staff see of a
customer: the behaviour trail, identities, and the 360° view with every related record.

A batch is resolved set-based: one query finds every identity it carries, the plan (engines.customers) groups the
events by person, new customers are created in one create_many through the write path (so formulas, unique checks,
rules and flows such as a welcome SOP apply), identities are claimed in one statement, and the events inserted in
one. Only merges and profile changes of existing customers cost statements per customer.
"""
from __future__ import annotations

import re
from collections import defaultdict
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.customers import CHANNELS, KINDS, Group, IdentityDef, ParsedEvent, fill, parse_events, plan
from engines.form.fields.base import Context
from engines.problems import Problem, ProblemsError, pointer
from runtime.errors import ApiError, not_found
from runtime.identities import IdentityStore, identity_json, merge_customers
from runtime.models import customer_events, customer_merges
from runtime.permissions import Access
from runtime.records import RecordReader, form_store, iso
from runtime.related import related_records
from runtime.tables import AppSchema, FormStore
from runtime.write import RecordWriter, utcnow

_ITEM = re.compile(r"^/items/(\d+)(.*)$")
MAX_EVENTS = 1000  # per call
CONFLICT_RETRIES = 5  # resolutions redone when concurrent batches claim the same new identity
RECENT = 20  # events in the 360° view
LATEST = 5  # related records per relation in the 360° view


def identity_of(schema: AppSchema) -> tuple[IdentityDef, FormStore]:
    identity = schema.definition.identity
    if identity is None:
        raise ApiError(409, "identity_not_configured", app=schema.key)
    return identity, form_store(schema, identity.form)


# ---- ingestion ---------------------------------------------------------------------------------------------------
class _Refused(Exception):
    """Events the database refused (a value the customer form rejects, a merge it cannot make), by index."""

    def __init__(self, problems: dict[int, list[Problem]]):
        self.problems = problems


async def ingest(conn: AsyncConnection, schema: AppSchema, channel: str, events: list[dict], *,
                 ctx: Context | None = None, user_id: int | None = None, access: Access | None = None) -> dict:
    """Take a batch of one channel's events in the caller's transaction →
    {"accepted", "duplicates", "customers": [customer id or None, one per event], "created", "merges",
     "rejected": [{"index", "problems": [Problem]}]}.

    Each event is {"type", "occurred_at", "identities": {kind: value}, "profile"?: {field: value}, "data"?: {…},
    "id"?: the channel's event id}. Bad events are reported by index and left out; the good ones are taken.
    `access` (the caller's) only limits which customer fields a profile may write: resolution itself sees every
    customer, as it must to find the same person across channels."""
    identity, form = identity_of(schema)
    if identity.channel(channel) is None:
        raise ProblemsError([Problem("/channel", "identity_channel_not_listed", {
            "channel": channel, "known": ", ".join(c.key for c in identity.channels)})])
    if not isinstance(events, list):
        raise ProblemsError([Problem("/events", "not_list")])
    if len(events) > MAX_EVENTS:
        raise ProblemsError([Problem("/events", "too_many_items", {"limit": MAX_EVENTS})])
    ctx = ctx or Context()
    closed = access.closed(form.key) if access is not None and access.restricted else set()
    good, rejected = parse_events(identity, form.definition, channel, events, ctx, closed)
    batch = _Batch(conn, schema, identity, form, channel, ctx, user_id)
    conflicts = 0
    while True:
        try:
            async with conn.begin_nested():  # a refused or raced attempt leaves nothing behind
                outcome = await batch.run(good)
            break
        except _Refused as e:
            rejected.update(e.problems)
            good = [event for event in good if event.index not in e.problems]
        except IntegrityError:  # a concurrent batch took a new identity (or unique value) first: resolve again
            conflicts += 1
            if conflicts > CONFLICT_RETRIES:
                raise ApiError(409, "conflict") from None
    customers = [outcome.customers.get(i) for i in range(len(events))]
    return {"accepted": outcome.accepted, "duplicates": outcome.duplicates, "customers": customers,
            "created": outcome.created, "merges": outcome.merges,
            "rejected": [{"index": i, "problems": rejected[i]} for i in sorted(rejected)]}


class _Outcome:
    def __init__(self):
        self.customers: dict[int, int] = {}
        self.accepted = self.duplicates = 0
        self.created: list[int] = []
        self.merges: list[dict] = []


class _Batch:
    def __init__(self, conn: AsyncConnection, schema: AppSchema, identity: IdentityDef, form: FormStore, channel: str,
                 ctx: Context, user_id: int | None):
        self.conn, self.schema, self.identity, self.form = conn, schema, identity, form
        self.channel, self.ctx, self.user_id = channel, ctx, user_id
        self.writer = RecordWriter(conn, schema, ctx, user_id)  # the system resolves; the caller is recorded
        self.store = IdentityStore(conn, schema, identity, form)
        self.kind_of_field = {field_key: kind for kind, field_key in identity.keys.items()}

    async def run(self, events: list[ParsedEvent]) -> _Outcome:
        outcome = _Outcome()
        events = await self._without_repeats(events, outcome)
        if not events:
            return outcome
        stored, in_fields, age = await self.store.find(list(dict.fromkeys(k for e in events for k in e.keys)))
        groups = plan(events, stored, in_fields, age)
        orphans = [g for g in groups if g.survivor is None]
        if orphans and not self.identity.create:
            raise _Refused({e.index: [Problem(pointer("events", e.index, "identities"), "identity_unknown_customer")]
                            for g in orphans for e in g.events})
        created = await self._create(orphans)
        customer_of = [group.survivor or created[id(group)] for group in groups]
        now = utcnow()
        await self.store.claim([
            {"app_id": self.schema.app_id, "kind": kind, "scope": scope, "value": value, "customer_id": customer_of[n],
             "channel": self.channel, "created_at": now} for n, group in enumerate(groups) for kind, scope, value
            in group.claim])
        for group in sorted((g for g in groups if g.merged), key=lambda g: g.survivor):  # one lock order
            await self._merge(group, outcome)
        await self._fill([g for g in groups if g.survivor is not None])
        rows = []
        for n, group in enumerate(groups):
            for event in group.events:
                outcome.customers[event.index] = customer_of[n]
                rows.append({"app_id": self.schema.app_id, "customer_id": customer_of[n], "channel": self.channel,
                             "type": event.type, "occurred_at": event.occurred_at, "received_at": now,
                             "external_id": event.external_id, "identities": event.identities,
                             "data": event.data or None})
        await self.conn.execute(customer_events.insert(), rows)
        outcome.accepted = len(rows)
        outcome.created = [created[id(g)] for g in orphans]
        return outcome

    async def _without_repeats(self, events: list[ParsedEvent], outcome: _Outcome) -> list[ParsedEvent]:
        """Events the channel sent before (same id) are taken once: a resend answers with the customer it got."""
        ids = [e.external_id for e in events if e.external_id is not None]
        if not ids:
            return events
        table = customer_events
        seen = dict((await self.conn.execute(select(table.c.external_id, table.c.customer_id).where(
            table.c.app_id == self.schema.app_id, table.c.channel == self.channel,
            table.c.external_id.in_(ids)))).all())
        for event in events:
            if event.external_id in seen:
                outcome.customers[event.index] = seen[event.external_id]
                outcome.duplicates += 1
        return [e for e in events if e.external_id not in seen]

    async def _create(self, orphans: list[Group]) -> dict[int, int]:
        """One new customer per group of unknown people, in one create_many through the write path → id(group) →
        the new customer."""
        if not orphans:
            return {}
        try:
            ids = await self.writer.create_many(self.form.key, [dict(g.values) for g in orphans],
                                                prefix=lambda k: f"/items/{k}")
        except ProblemsError as e:
            refused: dict[int, list[Problem]] = defaultdict(list)
            for problem in e.problems:
                item = _ITEM.match(problem.path)
                for event in orphans[int(item.group(1))].events:
                    refused[event.index].append(Problem(self._place(event, item.group(2)), problem.code,
                                                        problem.params))
            raise _Refused(dict(refused)) from None
        return {id(group): record_id for group, record_id in zip(orphans, ids)}

    async def _merge(self, group: Group, outcome: _Outcome) -> None:
        """Customers one event tied together become one: the oldest survives."""
        survivor = group.survivor
        reasons = {}
        for other in group.merged:
            linked = [identity_json(key, customer) for key, customer in group.links if customer in (survivor, other)]
            first = group.events[0]
            reasons[other] = {"source": "event", "channel": self.channel, "identities": linked,
                              "event": {"type": first.type, "occurred_at": first.occurred_at.isoformat() + "Z"}}
        try:
            await merge_customers(self.conn, self.schema, self.form, self.ctx, self.user_id, survivor, group.merged,
                                  reasons)
        except ProblemsError as e:
            raise _Refused({event.index: [p.under(pointer("events", event.index)) for p in e.problems]
                            for event in group.events}) from None
        outcome.merges.append({"survivor": survivor, "merged": group.merged, "reason": reasons})

    async def _fill(self, groups: list[Group]) -> None:
        """Existing customers get what their events add: empty fields filled, channel-owned fields refreshed, tags
        added. Read in one query; written only where something changes."""
        wanted = {key for g in groups for key in g.values if key in self.form.fields and
                  self.form.fields[key].column is not None}
        if not groups or not wanted:
            return
        table = self.form.table
        columns = {key: self.form.fields[key].column for key in sorted(wanted)}
        ids = sorted({g.survivor for g in groups})
        current = {}
        for start in range(0, len(ids), 500):
            rows = await self.conn.execute(select(table.c.id, *columns.values()).where(
                table.c.id.in_(ids[start:start + 500])))
            current.update({row[0]: dict(zip(columns, row[1:])) for row in rows.all()})
        fields = {f.key: f for f in self.form.definition.fields}
        owned = set(self.identity.owned)
        for group in groups:
            changes = fill(fields, current.get(group.survivor, {}), group.values, owned, self.ctx)
            if not changes:
                continue
            try:
                await self.writer.update(self.form.key, group.survivor, changes, None)
            except ProblemsError as e:
                raise _Refused({event.index: [Problem(self._place(event, p.path), p.code, p.params)
                                              for p in e.problems] for event in group.events}) from None

    def _place(self, event: ParsedEvent, path: str) -> str:
        """Where in the event a refused customer value came from: one of its identities, or its profile."""
        kind = self.kind_of_field.get(path.split("/")[1] if path.count("/") else "")
        if kind is not None and kind in event.identities:
            return pointer("events", event.index, "identities", kind)
        return pointer("events", event.index, "profile") + path



# ---- what staff see ----------------------------------------------------------------------------------------------
class CustomerView:
    """A customer's trail, identities and 360° view, as the viewer's access allows: a customer out of their rows is
    not found, identities held by fields hidden from them are left out, related records keep their own scopes."""

    def __init__(self, conn: AsyncConnection, schema: AppSchema, ctx: Context, access: Access, settings=None,
                 lang: str = "zh-CN"):
        self.conn, self.schema, self.ctx, self.access, self.lang = conn, schema, ctx, access, lang
        self.identity, self.form = identity_of(schema)
        self.reader = RecordReader(conn, schema, ctx, access.principal.user_id, settings, access)
        hidden = access.hidden(self.form.key)
        self.hidden_kinds = {kind for kind, field_key in self.identity.keys.items() if field_key in hidden}

    async def _reach(self, customer_id: int) -> None:
        self.access.require(self.form.key, "read")
        if not await self.access.visible(self.conn, self.form, "read", customer_id):
            raise not_found(f"record {customer_id}")

    def _channel(self, key: str) -> dict:
        declared = self.identity.channel(key)
        if declared is not None:
            name = declared.label(self.lang)
        elif key in CHANNELS:
            name = CHANNELS.get(key).label[1 if self.lang == "en" else 0]
        else:  # a channel the app no longer lists: its events stay in the trail
            name = key
        return {"key": key, "name": name}

    def _event(self, row) -> dict:
        return {"id": row.id, "channel": self._channel(row.channel), "type": row.type,
                "occurred_at": iso(row.occurred_at, self.ctx), "received_at": iso(row.received_at, self.ctx),
                "identities": {k: v for k, v in (row.identities or {}).items() if k not in self.hidden_kinds},
                "data": row.data or {}}

    async def trail(self, customer_id: int, channel: str | None = None, type: str | None = None, page: int = 1,
                    page_size: int = 50) -> dict:
        """The behaviour trail, newest first: {"items", "total", "page", "page_size"}."""
        await self._reach(customer_id)
        table = customer_events
        where = [table.c.app_id == self.schema.app_id, table.c.customer_id == customer_id]
        if channel:
            where.append(table.c.channel == channel)
        if type:
            where.append(table.c.type == type)
        total = (await self.conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
        rows = (await self.conn.execute(select(table).where(*where)
                                        .order_by(table.c.occurred_at.desc(), table.c.id.desc())
                                        .limit(page_size).offset((page - 1) * page_size))).all()
        return {"items": [self._event(row) for row in rows], "total": total, "page": page, "page_size": page_size}

    async def identities(self, customer_id: int) -> list[dict]:
        await self._reach(customer_id)
        return await self._identities(customer_id)

    async def _identities(self, customer_id: int) -> list[dict]:
        rows = await IdentityStore(self.conn, self.schema, self.identity, self.form).of_customer(customer_id)
        return [{**identity_json((row["kind"], row["scope"], row["value"])), "kind_name": self._kind(row["kind"]),
                 "first_channel": self._channel(row["channel"]) if row["channel"] else None,
                 "since": iso(row["created_at"], self.ctx)} for row in rows if row["kind"] not in self.hidden_kinds]

    def _kind(self, kind: str) -> str:
        zh, en = KINDS.get(kind).label if kind in KINDS else (kind, kind)
        return en if self.lang == "en" else zh

    async def profile(self, customer_id: int) -> dict:
        """The 360° view: the record, identities, channels, recent events, related records of every form that links
        to customers (orders, follow-ups, tickets…) with counts and the latest few, tags and merges."""
        record = await self.reader.get(self.form.key, customer_id)
        table = customer_events
        mine = (table.c.app_id == self.schema.app_id, table.c.customer_id == customer_id)
        channels = (await self.conn.execute(
            select(table.c.channel, func.count(), func.min(table.c.occurred_at), func.max(table.c.occurred_at))
            .where(*mine).group_by(table.c.channel).order_by(func.max(table.c.occurred_at).desc()))).all()
        recent = await self.trail(customer_id, page_size=RECENT)
        tags = {key: record[key] for key, store in self.form.fields.items()
                if store.field.type == "tags" and key in record}
        return {"record": record, "identities": await self._identities(customer_id),
                "channels": [{**self._channel(channel), "events": count, "first_at": iso(first, self.ctx),
                              "last_at": iso(last, self.ctx)} for channel, count, first, last in channels],
                "events": {"total": recent["total"], "recent": recent["items"]},
                "related": await self._related(customer_id), "tags": tags,
                "merges": await self._merges(customer_id)}

    async def _related(self, customer_id: int) -> list[dict]:
        """Per relation to the customer form, in every form the viewer may read: how many records, the latest few."""
        return await related_records(self.conn, self.schema, self.access, self.reader, self.form, customer_id,
                                     latest=LATEST)

    async def _merges(self, customer_id: int) -> list[dict]:
        table = customer_merges
        rows = (await self.conn.execute(select(table).where(table.c.app_id == self.schema.app_id,
                                                            table.c.survivor_id == customer_id)
                                        .order_by(table.c.at.desc(), table.c.id.desc()).limit(RECENT))).all()
        hidden = self.access.hidden(self.form.key)
        merges = []
        for row in rows:
            reason = dict(row.reason or {})
            if "identities" in reason:
                reason["identities"] = [i for i in reason["identities"] if i.get("kind") not in self.hidden_kinds]
            snapshot = {k: v for k, v in (row.snapshot or {}).items() if k not in hidden}
            merges.append({"merged": row.merged_id, "at": iso(row.at, self.ctx), "by": row.by, "reason": reason,
                           "snapshot": snapshot})
        return merges


async def merge_by_hand(conn: AsyncConnection, schema: AppSchema, ctx: Context, user_id: int | None, access: Access,
                        customer_id: int, other: int, version: int | None = None) -> dict:
    """Staff fold `other` into `customer_id` (which is kept), through the same merge as events use: the caller needs
    to update the kept customer and delete the other."""
    identity, form = identity_of(schema)
    if other == customer_id:
        raise ProblemsError([Problem("/other", "merge_same_customer")])
    held = await IdentityStore(conn, schema, identity, form).of_customer(other)
    reason = {"source": "manual", "identities": [identity_json((r["kind"], r["scope"], r["value"]), other)
                                                 for r in held]}
    return await merge_customers(conn, schema, form, ctx, user_id, customer_id, [other], {other: reason},
                                 access=access, by=user_id, version=version)
