"""Reading records of published forms: lists with paging, sorting, equality filters and search; one record.

Values come back in API shape: relations as {"id", "title"}, sub-tables as row lists, date-times in the
deployment's time zone. Related titles, links and sub-table rows are fetched with one query per field
for the whole page, never one per record.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.expr import ExprError
from engines.expr.functions.info import list_contains
from engines.form.fields.base import Context, FieldError, FieldType
from engines.form.record import coerce_value
from engines.problems import Problem
from runtime.errors import ApiError, not_found
from runtime.files import sign_records
from runtime.models import departments, users
from runtime.expressions import SchemaTables, compiled, eval_context
from runtime.permissions import Access
from runtime.tables import AppSchema, FieldStore, FormStore

SEARCHABLE = {"text", "long_text", "phone", "email", "url", "select", "autonumber"}
_SYSTEM_OUT = ("version", "created_at", "updated_at", "created_by", "updated_by", "owner")
SYSTEM_SORT = ("id", "created_at", "updated_at", "version", "owner", "created_by", "updated_by")


def form_store(schema: AppSchema, form_key: str) -> FormStore:
    store = schema.form(form_key)
    if store is None:
        raise not_found(f"form {form_key!r}")
    return store


def iso(moment: datetime | None, ctx: Context) -> str | None:
    return moment.replace(tzinfo=timezone.utc).astimezone(ctx.tz).isoformat() if moment else None


MAX_SORT_KEYS = 10


class RecordReader:
    def __init__(self, conn: AsyncConnection, schema: AppSchema, ctx: Context, user_id: int | None = None,
                 settings=None, access: Access | None = None):
        self.conn, self.schema, self.ctx, self.user_id = conn, schema, ctx, user_id
        self.settings = settings  # given, file fields carry signed links that work in <img src>
        self.access = access or Access.unrestricted(schema, user_id, ctx.tz)

    async def list(self, form_key: str, *, equals: dict[str, str] | None = None, sort: str | None = None,
                   q: str | None = None, page: int = 1, page_size: int = 50, filter: str | None = None) -> dict:
        form = form_store(self.schema, form_key)
        self.access.require(form_key, "read")
        table = form.table
        hidden = self.access.hidden(form_key)
        conditions, problems = self._equals(form, {k: v for k, v in (equals or {}).items() if k not in hidden})
        problems += [Problem(f"/query/{key}", "field_hidden", {"key": key}) for key in equals or {} if key in hidden]
        order, sort_problems = self._order(form, sort, hidden)
        problems += sort_problems
        if filter is not None and filter.strip():
            try:
                conditions.append(self.where(form_key, filter))
            except ExprError as e:
                problems.append(e.problem("/query/filter"))
            else:
                problems += self.access.path_problems(form_key, compiled(self.schema, form_key, filter, "bool"),
                                                      "/query/filter")
        if problems:
            raise ApiError(400, "bad_query", problems)
        conditions += self._search(form, q, hidden)
        rows_allowed = self.access.rows(form, "read")
        if rows_allowed is not None:
            conditions.append(rows_allowed)
        where = and_(*conditions) if conditions else None
        query: Select = select(table)
        count = select(func.count()).select_from(table)
        if where is not None:
            query, count = query.where(where), count.where(where)
        query = query.order_by(*order).limit(page_size).offset((page - 1) * page_size)
        total = (await self.conn.execute(count)).scalar_one()
        rows = (await self.conn.execute(query)).mappings().all()
        return {"items": await self.shape(form, rows), "total": total, "page": page, "page_size": page_size}

    async def get(self, form_key: str, record_id: int) -> dict:
        form = form_store(self.schema, form_key)
        self.access.require(form_key, "read")
        query = select(form.table).where(form.table.c.id == record_id)
        rows_allowed = self.access.rows(form, "read")
        if rows_allowed is not None:
            query = query.where(rows_allowed)  # out of reach looks the same as missing
        row = (await self.conn.execute(query)).mappings().first()
        if row is None:
            raise not_found(f"record {record_id}")
        return (await self.shape(form, [row]))[0]

    def where(self, form_key: str, text: str):
        """A filter expression as a WHERE clause over the form's table (raises ExprError)."""
        expression = compiled(self.schema, form_key, text, expect="bool")
        return expression.sql(SchemaTables(self.schema), eval_context(self.ctx.tz, self.user_id),
                              self.conn.dialect.name, form_key, condition=True)

    # ---- query parts -------------------------------------------------------------------------------------------
    def _equals(self, form: FormStore, equals: dict[str, str]) -> tuple[list, list[Problem]]:
        conditions, problems = [], []
        for key, raw in equals.items():
            if key in ("id", "owner", "created_by", "updated_by"):
                if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63):  # "²".isdigit() is True
                    problems.append(Problem(f"/query/{key}", "bad_reference"))
                    continue
                conditions.append(form.table.c[key] == int(raw))
                continue
            store = form.fields.get(key)
            if store is None or store.child is not None:
                problems.append(Problem(f"/query/{key}", "unknown_field", {"form": form.key, "key": key}))
                continue
            try:
                value = coerce_value(store.field, raw, self.ctx)
            except FieldError as e:
                problems.append(Problem(f"/query/{key}", e.code, e.params))
                continue
            if value is None:
                conditions.append(store.column.is_(None) if store.column is not None else ~self._has_links(form, store))
            elif store.link is not None:
                link = store.link
                conditions.append(exists().where(and_(link.c.source_id == form.table.c.id,
                                                      link.c.target_id.in_(value))))
            elif isinstance(value, list):  # tags / multi-select: contains every value given
                sqlite = self.conn.dialect.name == "sqlite"
                conditions.extend(list_contains(store.column, item, sqlite) for item in value)
            else:
                conditions.append(store.column == value)
        return conditions, problems

    def _has_links(self, form: FormStore, store: FieldStore):
        return exists().where(store.link.c.source_id == form.table.c.id)

    def _search(self, form: FormStore, q: str | None, hidden: set[str] = frozenset()) -> list:
        if not q or not q.strip():
            return []
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = [s.column for s in form.fields.values()
                   if s.field.type in SEARCHABLE and s.column is not None and s.key not in hidden]
        if not columns:
            return [False]
        return [or_(*(c.ilike(pattern, escape="\\") for c in columns))]

    def _order(self, form: FormStore, sort: str | None, hidden: set[str] = frozenset()) -> tuple[list, list[Problem]]:
        order, problems = [], []
        parts = (sort or "").split(",")
        if len(parts) > MAX_SORT_KEYS:
            return [], [Problem("/query/sort", "too_many_items", {"limit": MAX_SORT_KEYS})]
        for part in parts:
            part = part.strip()
            if not part:
                continue
            desc = part.startswith("-")
            key = part.lstrip("-+")
            if key in hidden:
                problems.append(Problem("/query/sort", "field_hidden", {"key": key}))
                continue
            if key in SYSTEM_SORT:
                column = form.table.c[key]
            elif key in form.fields and form.fields[key].column is not None and form.fields[key].field.type not in ("tags", "multi_select"):
                column = form.fields[key].column
            else:
                problems.append(Problem("/query/sort", "unknown_sort", {"key": key}))
                continue
            order.append(column.desc().nulls_last() if desc else column.asc().nulls_first())
        return order + [form.table.c.id.desc() if not order else form.table.c.id.asc()], problems

    # ---- shaping -----------------------------------------------------------------------------------------------
    async def shape(self, form: FormStore, rows: list) -> list[dict]:
        """Rows → API records, fetching titles, links and sub-table rows per field for all rows at once."""
        ids = [row["id"] for row in rows]
        records = []
        for row in rows:
            record: dict[str, Any] = {"id": row["id"]}
            for key, store in form.fields.items():
                if store.column is not None and store.target is None:
                    record[key] = store.type.dump(store.field, row[store.column.name], self.ctx)
            if form.parent is None:
                record.update(version=row["version"], created_at=iso(row["created_at"], self.ctx),
                              updated_at=iso(row["updated_at"], self.ctx), created_by=row["created_by"],
                              updated_by=row["updated_by"],
                              owner=row["owner"])
            records.append(record)
        for key, store in form.fields.items():
            if store.target is not None and store.column is not None:
                await self._fill_one(store, rows, records)
            elif store.names is not None:  # a looked-up relation reads like the relation: {"id", "title"}
                await self._fill_one(store, rows, records, store.names)
            elif store.link is not None:
                await self._fill_many(store, ids, records)
            elif store.child is not None:
                await self._fill_rows(store, ids, records)
        people = [store for store in form.fields.values()
                  if store.column is not None and type(store.type).references is not FieldType.references]
        if people:
            await self._fill_people(people, records)
        if self.settings is not None and form.has_files:
            sign_records(self.settings, form.definition.fields, records)
        hidden = self.access.hidden(form.key)
        order = ["id", *(key for key in form.fields if key not in hidden), *(_SYSTEM_OUT if form.parent is None else ())]
        return [{key: record[key] for key in order if key in record} for record in records]  # layout items: no value

    async def titles(self, target: FormStore, ids: set[int]) -> dict[int, str]:
        """Titles of linked records — only of those the caller may read, and only if the title field is not
        hidden from them; the others show their id alone."""
        if not ids or not self.access.allows(target.key, "read"):
            return {}
        title = target.title_column()
        if title is not None and target.definition.title_key() in self.access.hidden(target.key):
            title = None
        columns = [target.table.c.id] + ([title] if title is not None else [])
        query = select(*columns).where(target.table.c.id.in_(ids))
        rows_allowed = self.access.rows(target, "read")
        if rows_allowed is not None:
            query = query.where(rows_allowed)
        found = (await self.conn.execute(query)).all()
        return {row[0]: (str(row[1]) if title is not None and row[1] is not None else f"#{row[0]}") for row in found}

    async def _fill_one(self, store: FieldStore, rows, records, target: FormStore | None = None) -> None:
        name = store.column.name
        titles = await self.titles(target or store.target, {row[name] for row in rows if row[name] is not None})
        for row, record in zip(rows, records):
            value = row[name]
            record[store.key] = None if value is None else {"id": value, "title": titles.get(value, f"#{value}")}

    async def _fill_many(self, store: FieldStore, ids: list[int], records) -> None:
        links: dict[int, list[int]] = defaultdict(list)
        if ids:
            query = (select(store.link.c.source_id, store.link.c.target_id).where(store.link.c.source_id.in_(ids))
                     .order_by(store.link.c.source_id, store.link.c.position, store.link.c.target_id))
            for source, target in (await self.conn.execute(query)).all():
                links[source].append(target)
        titles = await self.titles(store.target, {t for targets in links.values() for t in targets})
        for record in records:
            record[store.key] = [{"id": t, "title": titles.get(t, f"#{t}")} for t in links.get(record["id"], [])]

    async def _fill_people(self, stores: list[FieldStore], records: list[dict]) -> None:
        """Member, department and 创建人/修改人 fields name who they are: {"id": 7, "name": "张三"}."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for store in stores:
            for record in records:
                found = store.type.references(store.field, record.get(store.key))
                if found:
                    wanted[found[0]].update(found[1])
        names: dict[str, dict[int, str]] = {}
        for kind, ids in wanted.items():
            table = users if kind == "user" else departments
            label = func.coalesce(func.nullif(table.c.name, ""), users.c.username) if kind == "user" else table.c.name
            rows = (await self.conn.execute(select(table.c.id, label).where(table.c.id.in_(ids)))).all()
            names[kind] = {row[0]: row[1] for row in rows}
        for store in stores:
            for record in records:
                found = store.type.references(store.field, record.get(store.key))
                if not found:
                    continue
                named = [{"id": i, "name": names.get(found[0], {}).get(i, f"#{i}")} for i in found[1]]
                record[store.key] = named if isinstance(record[store.key], list) else named[0]

    async def _fill_rows(self, store: FieldStore, ids: list[int], records) -> None:
        child = store.child
        rows = []
        if ids:
            query = (select(child.table).where(child.table.c.parent_id.in_(ids))
                     .order_by(child.table.c.parent_id, child.table.c.position, child.table.c.id))
            rows = (await self.conn.execute(query)).mappings().all()
        shaped = await self.shape(child, rows)
        by_parent: dict[int, list] = defaultdict(list)
        for row, record in zip(rows, shaped):
            by_parent[row["parent_id"]].append(record)
        for record in records:
            record[store.key] = by_parent.get(record["id"], [])
