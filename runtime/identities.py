"""The identity store of an app: which customer each identity (phone, UnionID, OpenID per channel, email, device id)
belongs to, found for a whole batch at once, claimed race-free, and moved when customers are merged.

Identities typed into a customer's own fields (by staff, an import) count too: a value the store does not hold yet
is looked up in the identity fields of the customer form, so an event never duplicates a customer staff entered."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.customers import KINDS, IdentityDef, IdentityError, Key
from engines.form.fields.base import Context
from runtime.dedupe import MergeRequest, RecordMerger
from runtime.models import customer_events, customer_identities, customer_merges
from runtime.permissions import Access
from runtime.records import RecordReader
from runtime.tables import AppSchema, FormStore
from runtime.write import utcnow

_CHUNK = 500  # values per IN list / rows per multi-row INSERT: far below both databases' parameter limits


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class IdentityStore:
    def __init__(self, conn: AsyncConnection, schema: AppSchema, identity: IdentityDef, form: FormStore):
        self.conn, self.schema, self.identity, self.form = conn, schema, identity, form

    async def find(self, keys: list[Key]) -> tuple[dict[Key, int], dict[Key, list[int]], dict[int, Any]]:
        """(identities the store ties to a living customer, identities found only in customers' fields,
        each customer's age as (created_at, id)). Identities of customers deleted since are dropped."""
        stored: dict[Key, int] = {}
        age: dict[int, Any] = {}
        stale: list[int] = []
        table, customers = customer_identities, self.form.table
        by_kind: dict[tuple[str, str], list[str]] = defaultdict(list)
        for kind, scope, value in keys:
            by_kind[(kind, scope)].append(value)
        parts = [and_(table.c.kind == kind, table.c.scope == scope, table.c.value.in_(chunk))
                 for (kind, scope), values in by_kind.items() for chunk in _chunks(values)]
        if parts:
            rows = await self.conn.execute(
                select(table.c.id, table.c.kind, table.c.scope, table.c.value, table.c.customer_id,
                       customers.c.created_at)
                .outerjoin(customers, customers.c.id == table.c.customer_id)
                .where(table.c.app_id == self.schema.app_id, or_(*parts)))
            for row_id, kind, scope, value, customer, created_at in rows.all():
                if created_at is None:
                    stale.append(row_id)
                else:
                    stored[(kind, scope, value)] = customer
                    age[customer] = (created_at, customer)
        if stale:
            await self.conn.execute(delete(table).where(table.c.id.in_(stale)))
        in_fields = await self._in_fields([key for key in keys if key not in stored], age)
        return stored, in_fields, age

    async def _in_fields(self, keys: list[Key], age: dict[int, Any]) -> dict[Key, list[int]]:
        """Unclaimed identities held by customers' identity fields, in one query over the customer table."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for kind, scope, value in keys:
            if not scope and self.identity.field_of(kind) in self.form.fields:
                wanted[kind].add(value)
        columns, conditions = {}, []
        for kind, values in wanted.items():
            column = self.form.fields[self.identity.field_of(kind)].column
            if column is None:
                continue
            columns[kind] = column
            if kind == "phone":  # stored as the phone field keeps it: a mobile's 11 digits, else "+" and digits
                candidates = sorted(values | {"+" + v for v in values})
                conditions += [column.in_(chunk) for chunk in _chunks(candidates)]
            elif kind == "email":
                conditions += [func.lower(func.trim(column)).in_(chunk) for chunk in _chunks(sorted(values))]
            else:
                conditions += [column.in_(chunk) for chunk in _chunks(sorted(values))]
        if not conditions:
            return {}
        table = self.form.table
        rows = await self.conn.execute(select(table.c.id, table.c.created_at, *columns.values())
                                       .where(or_(*conditions)))
        found: dict[Key, list[int]] = defaultdict(list)
        for row in rows.all():
            customer, created_at, held = row[0], row[1], row[2:]
            for (kind, _column), value in zip(columns.items(), held):
                if value is None:
                    continue
                try:
                    key = (kind, "", KINDS.get(kind).normalise(value))
                except IdentityError:
                    continue
                if key[2] in wanted[kind]:
                    found[key].append(customer)
                    age[customer] = (created_at, customer)
        return dict(found)

    async def claim(self, rows: list[dict]) -> None:
        """Tie new identities to their customers, in one statement. When another transaction claimed one of them
        first, the unique key refuses the row (on PostgreSQL after waiting for that transaction to end): the caller
        resolves the batch again and finds it."""
        if rows:  # one lock order for every writer
            await self.conn.execute(insert(customer_identities),
                                    sorted(rows, key=lambda r: (r["kind"], r["scope"], r["value"])))

    async def of_customer(self, customer_id: int) -> list[dict]:
        table = customer_identities
        rows = await self.conn.execute(select(table).where(table.c.app_id == self.schema.app_id,
                                                           table.c.customer_id == customer_id)
                                       .order_by(table.c.kind, table.c.created_at, table.c.id))
        return [dict(row) for row in rows.mappings().all()]


async def merge_customers(conn: AsyncConnection, schema: AppSchema, form: FormStore, ctx: Context,
                          user_id: int | None, survivor: int, merged: list[int], reasons: dict[int, dict],
                          access: Access | None = None, by: int | None = None, version: int | None = None) -> dict:
    """Fold customers into `survivor` with the platform's merge (values filled, tags united, every relation
    re-pointed, merged records deleted and audited), then move their identities and events and record the merge."""
    snapshots = await _snapshots(conn, schema, form, ctx, merged)
    result = await RecordMerger(conn, schema, ctx, user_id, access).merge(
        form.key, MergeRequest(survivor, list(merged), {}, version))
    app = schema.app_id
    for table in (customer_identities, customer_events):
        await conn.execute(update(table).where(table.c.app_id == app, table.c.customer_id.in_(merged))
                           .values(customer_id=survivor))
    at = utcnow()
    await conn.execute(insert(customer_merges), [
        {"app_id": app, "survivor_id": survivor, "merged_id": other, "at": at, "by": by,
         "reason": reasons.get(other), "snapshot": snapshots.get(other)} for other in merged])
    return result


async def _snapshots(conn, schema: AppSchema, form: FormStore, ctx: Context, ids: list[int]) -> dict[int, dict]:
    """The merged records as the API showed them (the whole record: viewers' access is applied when read)."""
    rows = (await conn.execute(select(form.table).where(form.table.c.id.in_(ids)))).mappings().all()
    shaped = await RecordReader(conn, schema, ctx).shape(form, rows)
    return {record["id"]: record for record in shaped}


def identity_json(key: Key, customer: int | None = None) -> dict:
    kind, scope, value = key
    found: dict[str, Any] = {"kind": kind, "value": value}
    if scope:
        found["channel"] = scope
    if customer is not None:
        found["customer"] = customer
    return found
