"""Duplicates (查重) and merging (合并) of a form's records.

Duplicates are found in the database: each key field's values normalised by the field's type, grouped,
HAVING COUNT(*) > 1 — the table is never loaded into Python, and the same SQL runs on SQLite and PostgreSQL.
A merge folds records into one kept record inside the caller's transaction: gaps filled, lists unioned, every
relation in the app that pointed at a merged record re-pointed, the merged records deleted, one audit entry each.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import (Integer, Text, and_, case, delete, distinct, func, insert, literal, literal_column, select,
                        union_all, update)
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.form.definition import DEDUPE_MATCHING
from engines.form.fields.base import Context
from engines.form.record import is_empty
from engines.problems import Problem, ProblemsError, pointer
from runtime.audit import record_audit
from runtime.errors import ApiError
from runtime.permissions import Access
from runtime.records import RecordReader, form_store
from runtime.tables import AppSchema, FieldStore, FormStore
from runtime.write import RecordWriter, utcnow

GROUP_RECORDS = 20  # records shown per duplicate group, newest first
MAX_KEYS = 10  # fields searched at once
MERGE_LIMIT = 50  # records folded into one at once
_CHUNK = 1000  # ids per refresh statement: well under both databases' bound-parameter limits


# ---- how values are compared ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Matching:
    """One way of comparing values, as SQL: `clean` each value, then `settle` the cleaned value. `settle` runs in
    an outer query, so when it reads the cleaned value several times the database computes it once."""
    clean: Callable[[Any], Any]
    settle: Callable[[Any], Any] = lambda value: value


# What people type between the digits of a phone number. SQLite has no regexp_replace, so one REPLACE chain runs
# on both databases; a phone field stores nothing else anyway (its type keeps digits, "+" and "-").
_PHONE_NOISE = (" ", "-", "+", "(", ")", "（", "）", ".", "/", "\t", "\u3000")


def _phone_digits(value):
    for noise in _PHONE_NOISE:
        value = func.replace(value, noise, "")
    return value


def _without_country_code(digits):
    """86 / 0086 (the "+" is gone already) in front of an 11-digit mainland mobile number."""
    return case((and_(func.length(digits) == 13, digits.like("861%")), func.substr(digits, 3)),
                (and_(func.length(digits) == 15, digits.like("00861%")), func.substr(digits, 5)),
                else_=digits)


MATCHINGS: dict[str, Matching] = {
    "phone": Matching(_phone_digits, _without_country_code),
    "email": Matching(lambda value: func.lower(func.trim(value))),
    "exact": Matching(func.trim),  # UnionID / OpenID: case matters
}


def _matching(store: FieldStore) -> Matching:
    return MATCHINGS[DEDUPE_MATCHING[store.field.type]]


def _keyed(form: FormStore, store: FieldStore, *where):
    """A subquery (id, created_at, k): every record's normalised value of one field (k may be '')."""
    table = form.table
    matching = _matching(store)
    cleaned = (select(table.c.id, table.c.created_at, matching.clean(store.column).label("v"))
               .where(store.column.is_not(None), *where).subquery())
    return select(cleaned.c.id, cleaned.c.created_at, matching.settle(cleaned.c.v).label("k")).subquery()


def key_fields(form: FormStore, wanted: str | None) -> list[FieldStore]:
    """The fields named in `?fields=a,b`, else the form's `dedupe.keys`; 400 naming what is wrong."""
    path = "/query/fields"
    if wanted is None or not wanted.strip():
        keys = list(form.definition.dedupe.keys) if form.definition.dedupe else []
        if not keys:
            raise ApiError(400, "bad_query", [Problem(path, "dedupe_keys_missing", {"form": form.key})])
    else:
        keys = list(dict.fromkeys(key.strip() for key in wanted.split(",") if key.strip()))
    if len(keys) > MAX_KEYS:
        raise ApiError(400, "bad_query", [Problem(path, "too_many_items", {"limit": MAX_KEYS})])
    problems, stores = [], []
    for key in keys:
        store = form.fields.get(key)
        if store is None:
            problems.append(Problem(path, "unknown_field", {"form": form.key, "key": key}))
        elif store.field.type not in DEDUPE_MATCHING or store.column is None:
            problems.append(Problem(path, "dedupe_type_unsupported",
                                    {"key": key, "type": store.field.type, "types": ", ".join(DEDUPE_MATCHING)}))
        else:
            stores.append(store)
    if problems:
        raise ApiError(400, "bad_query", problems)
    return stores


# ---- finding duplicates --------------------------------------------------------------------------------------
class DuplicateFinder:
    def __init__(self, conn: AsyncConnection, schema: AppSchema, ctx: Context, access: Access | None = None):
        self.conn, self.schema = conn, schema
        self.reader = RecordReader(conn, schema, ctx, access=access)
        self.access = self.reader.access

    def _keys(self, form: FormStore, fields: str | None) -> list[FieldStore]:
        """The key fields, which the caller must be allowed to see (or duplicates would reveal hidden values)."""
        self.access.require(form.key, "read")
        stores = key_fields(form, fields)
        hidden = self.access.hidden(form.key)
        refused = [Problem("/query/fields", "field_hidden", {"key": s.key}) for s in stores if s.key in hidden]
        if refused:
            raise ApiError(400, "bad_query", refused)
        return stores

    def _reach(self, form: FormStore) -> list:
        """Only the records the caller may read take part."""
        condition = self.access.rows(form, "read")
        return [] if condition is None else [condition]

    async def groups(self, form_key: str, fields: str | None, page: int = 1, page_size: int = 20) -> dict:
        """Groups of records sharing a normalised value, largest first: {"groups", "total", "page", "page_size"}."""
        form = form_store(self.schema, form_key)
        stores = self._keys(form, fields)
        per_field = []
        for n, store in enumerate(stores):
            keyed = _keyed(form, store, *self._reach(form))
            per_field.append(select(literal_column(str(n)).label("field"), keyed.c.k.label("value"),
                                    func.count().label("n"))
                             .where(keyed.c.k != "").group_by(keyed.c.k).having(func.count() > 1))
        found = union_all(*per_field).subquery()
        total = (await self.conn.execute(select(func.count()).select_from(found))).scalar_one()
        rows = (await self.conn.execute(select(found.c.field, found.c.value, found.c.n)
                                        .order_by(found.c.n.desc(), found.c.field, found.c.value)
                                        .limit(page_size).offset((page - 1) * page_size))).all()
        values_by_field: dict[int, list[str]] = defaultdict(list)
        for n, value, _ in rows:
            values_by_field[int(n)].append(value)
        members: dict[tuple[int, str], list[int]] = {}
        for n, values in values_by_field.items():
            for value, ids in (await self._newest(form, stores[n], values)).items():
                members[(n, value)] = ids
        records = await self._records(form, [i for ids in members.values() for i in ids])
        groups = [{"field": stores[int(n)].key, "value": value, "count": count,
                   "records": [records[i] for i in members.get((int(n), value), []) if i in records]}
                  for n, value, count in rows]
        return {"fields": [s.key for s in stores], "groups": groups, "total": total, "page": page,
                "page_size": page_size}

    async def matches(self, form_key: str, fields: str | None, values: dict) -> dict:
        """Existing records a record with these values would duplicate (a warning before saving). A record's
        own `id`, when given, is left out, so editing a record does not find itself."""
        form = form_store(self.schema, form_key)
        stores = self._keys(form, fields)
        own_id = values.get("id")
        is_id = isinstance(own_id, int) and not isinstance(own_id, bool) and 0 < own_id < 2**63
        exclude = [form.table.c.id != own_id] if is_id else []
        found = []
        for store in stores:
            raw = values.get(store.key)
            if isinstance(raw, (bool, list, dict)) or raw is None:
                continue
            value = await self.normalise(store, str(raw))
            if not value:
                continue
            keyed = _keyed(form, store, *exclude, *self._reach(form))
            count = (await self.conn.execute(select(func.count()).select_from(keyed)
                                             .where(keyed.c.k == value))).scalar_one()
            if not count:
                continue
            ids = list((await self.conn.execute(select(keyed.c.id).where(keyed.c.k == value).order_by(
                keyed.c.created_at.desc(), keyed.c.id.desc()).limit(GROUP_RECORDS))).scalars())
            records = await self._records(form, ids)
            found.append({"field": store.key, "value": value, "count": count,
                          "records": [records[i] for i in ids if i in records]})
        return {"fields": [s.key for s in stores], "duplicates": found}

    async def normalise(self, store: FieldStore, raw: str) -> str | None:
        """A typed value normalised by the very SQL that normalises stored ones, so the two always agree."""
        matching = _matching(store)
        cleaned = select(matching.clean(literal(raw, Text)).label("v")).subquery()
        return (await self.conn.execute(select(matching.settle(cleaned.c.v)))).scalar_one()

    async def _newest(self, form: FormStore, store: FieldStore, values: list[str]) -> dict[str, list[int]]:
        """Ids of each value's records, newest first, at most GROUP_RECORDS each, in one query."""
        keyed = _keyed(form, store, *self._reach(form))
        rank = func.row_number().over(partition_by=keyed.c.k,
                                      order_by=(keyed.c.created_at.desc(), keyed.c.id.desc())).label("rank")
        ranked = select(keyed.c.id, keyed.c.k, rank).where(keyed.c.k.in_(values)).subquery()
        rows = await self.conn.execute(select(ranked.c.id, ranked.c.k).where(ranked.c.rank <= GROUP_RECORDS)
                                       .order_by(ranked.c.k, ranked.c.rank))
        ids: dict[str, list[int]] = defaultdict(list)
        for record_id, value in rows.all():
            ids[value].append(record_id)
        return ids

    async def _records(self, form: FormStore, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        rows = (await self.conn.execute(select(form.table).where(form.table.c.id.in_(set(ids))))).mappings().all()
        return {record["id"]: record for record in await self.reader.shape(form, rows)}


# ---- merging -------------------------------------------------------------------------------------------------
@dataclass
class MergeRequest:
    keep: int
    merge: list[int]
    values: dict = field(default_factory=dict)
    version: int | None = None  # the kept record's version the user saw: 409 when someone changed it since


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def parse_merge(body: Any) -> MergeRequest:
    """The merge body, or ProblemsError naming every place that is wrong."""
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    problems = [Problem(pointer(key), "unknown_key", {"key": key})
                for key in body if key not in ("keep", "merge", "values", "version")]
    keep, merge, values, version = body.get("keep"), body.get("merge"), body.get("values", {}), body.get("version")
    if keep is None:
        problems.append(Problem("/keep", "required"))
    elif not _is_id(keep):
        problems.append(Problem("/keep", "bad_reference"))
    if merge is None:
        problems.append(Problem("/merge", "required"))
    elif not isinstance(merge, list):
        problems.append(Problem("/merge", "not_list"))
    elif not merge:
        problems.append(Problem("/merge", "too_few_items", {"limit": 1}))
    elif len(merge) > MERGE_LIMIT:
        problems.append(Problem("/merge", "too_many_items", {"limit": MERGE_LIMIT}))
    else:
        seen: dict[int, int] = {}
        for i, record_id in enumerate(merge):
            if not _is_id(record_id):
                problems.append(Problem(f"/merge/{i}", "bad_reference"))
            elif record_id == keep:
                problems.append(Problem(f"/merge/{i}", "merge_keeps_itself", {"id": record_id}))
            elif record_id in seen:
                problems.append(Problem(f"/merge/{i}", "duplicate_in_batch", {"value": record_id, "other": seen[record_id]}))
            else:
                seen[record_id] = i
    if values is None:
        values = {}
    if not isinstance(values, dict):
        problems.append(Problem("/values", "not_object"))
    if version is not None and not _is_id(version):
        problems.append(Problem("/version", "not_integer"))
    if problems:
        raise ProblemsError(problems)
    return MergeRequest(keep, list(merge), values, version)


@dataclass
class _Repointed:
    counts: dict[int, dict[str, int]]  # merged id → "form.field" → references now pointing at the kept record
    owners: dict[str, set[int]]  # top-level form key → records whose relations changed (refresh their formulas)


class RecordMerger:
    def __init__(self, conn: AsyncConnection, schema: AppSchema, ctx: Context, user_id: int | None,
                 access: Access | None = None):
        self.conn, self.schema, self.user_id = conn, schema, user_id
        self.writer = RecordWriter(conn, schema, ctx, user_id, access=access)
        self.reader = RecordReader(conn, schema, ctx, user_id, access=access)
        self.access = self.writer.access

    async def merge(self, form_key: str, request: MergeRequest) -> dict:
        """Fold `request.merge` into `request.keep`, all in the caller's transaction; raising leaves nothing done."""
        form = form_store(self.schema, form_key)
        if self.access.restricted:  # records out of reach do not exist for the caller; merging needs both rights
            for record_id in request.merge:
                await self.writer.reach(form, record_id, "delete")
            await self.writer.reach(form, request.keep, "update")
        records = await self._lock(form, request)
        kept = records[request.keep]
        merged = [records[i] for i in request.merge]
        closed = self.access.closed(form_key)  # gaps in fields the caller may not write stay as they are
        filled = {k: v for k, v in self._combined(form, kept, merged, set(request.merge)).items() if k not in closed}
        data = {**filled, **request.values}
        repointed = await self._repoint(form, request.keep, request.merge)
        # The merged records go before the kept one is saved, so their unique values (a phone) can move over.
        for record_id in request.merge:
            await self.writer.delete(form_key, record_id)
        try:
            await self.writer.update(form_key, request.keep, data, request.version)
        except ProblemsError as e:
            raise ProblemsError([p.under("/values") for p in e.problems]) from None
        await self._refresh(form, request.keep, repointed.owners)
        for record in merged:
            await record_audit(self.conn, action="merge", user_id=self.user_id, app_id=self.schema.app_id,
                               form=form_key, record_id=record["id"],
                               detail={"kept": request.keep, "snapshot": record,
                                       "repointed": repointed.counts[record["id"]]})
        totals: dict[str, int] = defaultdict(int)
        for counts in repointed.counts.values():
            for place, n in counts.items():
                totals[place] += n
        return {"record": await self.reader.get(form_key, request.keep), "merged": request.merge,
                "repointed": dict(totals)}

    async def _lock(self, form: FormStore, request: MergeRequest) -> dict[int, dict]:
        """The records, shaped, locked against concurrent writers on PostgreSQL; 404 naming any missing."""
        ids = [request.keep, *request.merge]
        table = form.table
        rows = (await self.conn.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
                                        .with_for_update())).mappings().all()
        found = {row["id"] for row in rows}
        paths = {request.keep: "/keep", **{record_id: f"/merge/{i}" for i, record_id in enumerate(request.merge)}}
        missing = [record_id for record_id in ids if record_id not in found]
        if missing:
            raise ApiError(404, "merge_missing",
                           [Problem(paths[i], "missing_record", {"form": form.key, "id": i}) for i in missing],
                           form=form.key, ids=", ".join(map(str, missing)))
        return {record["id"]: record for record in await self.reader.shape(form, rows)}

    # ---- the kept record's new values -------------------------------------------------------------------------
    def _combined(self, form: FormStore, kept: dict, merged: list[dict], merged_ids: set[int]) -> dict:
        """Empty fields filled from the first merged record that has a value; lists (tags, multi-select,
        many-relations, files) unioned in the order given. Only what changes is returned."""
        data: dict[str, Any] = {}
        remap = _Remap(form, kept["id"], merged_ids)
        for key, store in form.fields.items():
            if store.type.is_generated or key not in kept:  # layout items, fields hidden from the caller
                continue
            if store.child is None and (store.link is not None or
                                        any(isinstance(r.get(key), list) for r in (kept, *merged))):
                union = _union([remap.value(store, record[key]) for record in (kept, *merged)])
                if union != (remap.value(store, kept[key]) or []):
                    data[key] = union
            elif is_empty(kept[key]):
                for record in merged:
                    value = remap.value(store, record[key])
                    if not is_empty(value):
                        data[key] = value
                        break
        return data

    # ---- relations anywhere in the app ------------------------------------------------------------------------
    async def _repoint(self, form: FormStore, keep: int, merged: list[int]) -> _Repointed:
        result = _Repointed({record_id: {} for record_id in merged}, defaultdict(set))
        for other in self.schema.forms.values():
            for store in other.fields.values():
                if store.target is not form:
                    continue
                place = f"{other.key}.{store.key}"
                if store.link is not None:
                    counts, owners = await self._repoint_links(other, store, keep, merged)
                else:
                    counts, owners = await self._repoint_column(other, store, keep, merged)
                for record_id, n in counts:
                    result.counts[record_id][place] = n
                result.owners[(other.parent or other).key].update(owners)
        return result

    async def _repoint_column(self, other: FormStore, store: FieldStore, keep: int, merged: list[int]):
        table, column = other.table, store.column
        condition = column.in_(merged)
        if other is store.target:  # records being merged point nowhere after; the kept one never at itself
            condition = and_(condition, table.c.id.not_in([keep, *merged]))
        counts = (await self.conn.execute(select(column, func.count()).where(condition).group_by(column))).all()
        if not counts:
            return [], []
        owner = table.c.parent_id if other.parent is not None else table.c.id
        owners = list((await self.conn.execute(select(owner).where(condition).distinct())).scalars())
        await self.conn.execute(update(table).where(condition).values({column.name: keep}))
        return counts, owners

    async def _repoint_links(self, other: FormStore, store: FieldStore, keep: int, merged: list[int]):
        link = store.link
        condition = link.c.target_id.in_(merged)
        if other is store.target:  # records being merged link nowhere after; the kept one never to itself
            condition = and_(condition, link.c.source_id.not_in([keep, *merged]))
        counts = (await self.conn.execute(select(link.c.target_id, func.count(distinct(link.c.source_id)))
                                          .where(condition).group_by(link.c.target_id))).all()
        if counts:
            sources = select(link.c.source_id).where(condition).distinct()
            if other.parent is not None:
                sources = select(other.table.c.parent_id).where(other.table.c.id.in_(sources)).distinct()
            owners = list((await self.conn.execute(sources)).scalars())
            # One link to the kept record per source, where the first merged link was; none twice.
            linked = link.alias("already")
            first = (select(link.c.source_id, literal(keep, Integer), func.min(link.c.position))
                     .where(condition, link.c.source_id.not_in(select(linked.c.source_id)
                                                               .where(linked.c.target_id == keep)))
                     .group_by(link.c.source_id))
            await self.conn.execute(insert(link).from_select(["source_id", "target_id", "position"], first))
        else:
            owners = []
        await self.conn.execute(delete(link).where(link.c.target_id.in_(merged)))
        return counts, owners

    async def _refresh(self, form: FormStore, keep: int, owners: dict[str, set[int]]) -> None:
        """Records whose relations now point at the kept record changed: new version, formulas recomputed."""
        owners[form.key].add(keep)
        for form_key, ids in owners.items():
            table = form_store(self.schema, form_key).table
            ordered = sorted(ids)
            for start in range(0, len(ordered), _CHUNK):
                chunk = ordered[start:start + _CHUNK]
                bumped = [i for i in chunk if not (form_key == form.key and i == keep)]  # saved just now
                if bumped:
                    await self.conn.execute(update(table).where(table.c.id.in_(bumped)).values(
                        version=table.c.version + 1, updated_at=utcnow()))
                await self.writer.refresh(form_key, chunk)


class _Remap:
    """API-shaped values → input values, with references to merged records turned into the kept one."""

    def __init__(self, form: FormStore, keep: int, merged: set[int]):
        self.form, self.keep, self.merged = form, keep, merged

    def value(self, store: FieldStore, value: Any, top: bool = True) -> Any:
        """`top`: a field of the merged form itself (not of its sub-table rows)."""
        if store.target is not None:
            return self._reference(store, value, top)
        if store.child is not None and isinstance(value, list):
            return [self._row(store.child, row) for row in value]
        if isinstance(value, list):
            return [_plain(item) for item in value]
        return value

    def _reference(self, store: FieldStore, value: Any, top: bool) -> Any:
        top = top and store.target is self.form

        def one(item):
            record_id = item["id"] if isinstance(item, dict) else item
            if store.target is self.form and record_id in self.merged:
                return self.keep
            return record_id

        if isinstance(value, list):
            ids = [one(item) for item in value]
            return [i for i in ids if not (top and i == self.keep)]  # no record lists itself
        if value is None:
            return None
        record_id = one(value)
        return None if top and record_id == self.keep else record_id

    def _row(self, child: FormStore, row: dict) -> dict:
        """A merged record's sub-table row as a new row of the kept record: no id, no computed values."""
        return {key: self.value(store, row.get(key), top=False) for key, store in child.fields.items()
                if not store.type.is_generated}


def _plain(item: Any) -> Any:
    return item["id"] if isinstance(item, dict) and set(item) == {"id", "title"} else item


def _union(lists: list[list | None]) -> list:
    """Items of every list once, first occurrence first; items may be objects (files), compared as JSON."""
    seen, union = set(), []
    for items in lists:
        for item in items or []:
            marker = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
            if marker not in seen:
                seen.add(marker)
                union.append(item)
    return union
