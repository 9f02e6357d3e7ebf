"""Publishing: bring an app's real tables in line with a new definition, in place, without losing data.

Runs inside the publish transaction (PostgreSQL and SQLite both have transactional DDL), so a failed
publish leaves the tables exactly as they were. Alembic operations do the DDL.

- new form → table; new field → column (or link table, or child table);
- changed type → values converted into a fresh column and checked; rows that can't convert → 422;
  the old column is retired, not dropped;
- removed field or form → retired with its data; publishing it again (or rolling back) restores it.
"""
from __future__ import annotations

from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, Connection, Integer, MetaData, Table, and_, bindparam, func, insert, inspect, select, update

from builder.model import AppDef
from engines.form.fields import field_type
from engines.form.fields.base import Context, FieldError
from engines.form.record import coerce_value
from engines.problems import Problem, ProblemsError
from runtime.models import app_fields, app_forms
from runtime.tables import (field_column, link_name, link_table, system_columns, table_name,
                            unique_index_name)

_CHUNK = 1000
_MAX_ROWS_NAMED = 20


def _column_view(form_id: int, field_id: int, storage: str):
    """(table, column): just enough of a form's table to read or write one field's column."""
    table = Table(table_name(form_id), MetaData(), Column("id", Integer), field_column(field_id, storage))
    return table, table.c[f"c_{field_id}"]


def _shape(f) -> tuple:
    """What a field's physical storage depends on; a change of shape needs a new column."""
    storage = field_type(f.type).storage_for(f)
    kind = "link" if f.type == "relation" and f.many else "child" if f.type == "subtable" else "column"
    return kind, storage, getattr(f, "target", None)


class Publisher:
    def __init__(self, conn: Connection, app_id: int, definition: AppDef, ctx: Context):
        self.conn, self.app_id, self.definition, self.ctx = conn, app_id, definition, ctx
        self.ops = Operations(MigrationContext.configure(conn))
        self.paths: dict[str, str] = {}  # "form/field" → JSON pointer of the field, for error places
        self.problems: list[Problem] = []
        self.forms = {r.key: r for r in conn.execute(select(app_forms).where(app_forms.c.app_id == app_id))}
        ids = [r.id for r in self.forms.values()]
        self.fields = list(conn.execute(select(app_fields).where(app_fields.c.form_id.in_(ids)))) if ids else []
        self.form_ids: dict[str, int] = {}
        self.old_defs: dict[tuple[int, str], Any] = {}

    # ---- forms -------------------------------------------------------------------------------------------------
    def run(self, old: AppDef | None) -> None:
        if old is not None:
            self._remember(old)
        entries = list(self._entries())
        for key, _fields, parent in entries:
            self._ensure_form(key, parent)
        for key, fields, _parent in entries:
            self._sync_fields(key, fields)
        live = {key for key, _, _ in entries}
        for key, row in self.forms.items():
            if key not in live and not row.retired:
                self.conn.execute(update(app_forms).where(app_forms.c.id == row.id).values(retired=True))
        if self.problems:
            raise ProblemsError(self.problems)

    def _remember(self, old: AppDef) -> None:
        def walk(key, fields):
            form = self.forms.get(key)
            for f in fields:
                if form is not None:
                    self.old_defs[(form.id, f.key)] = f
                if f.type == "subtable":
                    walk(f"{key}.{f.key}", f.fields)
        for form in old.forms:
            walk(form.key, form.fields)

    def _entries(self):
        """(form key, fields, parent key) for every form and sub-table, parents first."""
        def walk(key, fields, parent, path):
            yield key, fields, parent
            for j, f in enumerate(fields):
                self.paths[f"{key}/{f.key}"] = f"{path}/fields/{j}"
                if f.type == "subtable":
                    yield from walk(f"{key}.{f.key}", f.fields, key, f"{path}/fields/{j}")
        for i, form in enumerate(self.definition.forms):
            yield from walk(form.key, form.fields, None, f"/forms/{i}")

    def _ensure_form(self, key: str, parent: str | None) -> None:
        row = self.forms.get(key)
        if row is None:
            parent_id = self.form_ids[parent] if parent else None
            form_id = self.conn.execute(insert(app_forms).values(
                app_id=self.app_id, key=key, parent_id=parent_id, retired=False).returning(app_forms.c.id)).scalar_one()
            parent_table = table_name(parent_id) if parent_id else None
            metadata = MetaData()
            if parent_table:
                Table(parent_table, metadata, Column("id", Integer, primary_key=True))
            table = Table(table_name(form_id), metadata, *system_columns(parent_table))
            table.create(self.conn)
        else:
            form_id = row.id
            if row.retired:
                self.conn.execute(update(app_forms).where(app_forms.c.id == form_id).values(retired=False))
            if parent is None:
                self._add_system_columns(table_name(form_id))
        self.form_ids[key] = form_id

    def _add_system_columns(self, name: str) -> None:
        """Tables made before a system column existed (updated_by) get it on their next publish."""
        present = {c["name"] for c in inspect(self.conn).get_columns(name)}
        for column in system_columns(None):
            if column.name not in present:
                self.ops.add_column(name, column.copy())

    # ---- fields ------------------------------------------------------------------------------------------------
    def _sync_fields(self, form_key: str, fields: list) -> None:
        form_id = self.form_ids[form_key]
        rows = [r for r in self.fields if r.form_id == form_id]
        wanted = {f.key for f in fields}
        for f in fields:
            active = next((r for r in rows if r.key == f.key and not r.retired), None)
            target_id = self.form_ids.get(f.target) if f.type == "relation" else None
            if active is not None and self._row_shape(active) == _shape(f) and active.target_form_id == target_id:
                if active.type != f.type:
                    self._convert_in_place(form_key, form_id, active, f)
                self._sync_unique(form_key, form_id, active, f)
                continue
            restorable = next((r for r in rows if r.key == f.key and r.retired and r.type == f.type
                               and self._row_shape(r) == _shape(f) and r.target_form_id == target_id), None)
            if restorable is not None:
                self.conn.execute(update(app_fields).where(app_fields.c.id == restorable.id).values(retired=False))
                new_row = restorable
            else:
                new_row = self._add_field(form_key, form_id, f, target_id)
            if active is not None:
                self._retire(active)
                self._convert_column(form_key, form_id, active, new_row, f)
            self._sync_unique(form_key, form_id, new_row, f)
        for row in rows:
            if row.key not in wanted and not row.retired:
                self._retire(row)

    def _row_shape(self, row) -> tuple:
        kind = "link" if row.type == "relation" and row.storage is None else "child" if row.type == "subtable" else "column"
        target = None
        if row.target_form_id is not None:
            target = next((k for k, v in self.form_ids.items() if v == row.target_form_id),
                          next((r.key for r in self.forms.values() if r.id == row.target_form_id), None))
        return kind, row.storage, target

    def _add_field(self, form_key: str, form_id: int, f, target_id: int | None):
        storage = field_type(f.type).storage_for(f)
        field_id = self.conn.execute(insert(app_fields).values(
            form_id=form_id, key=f.key, type=f.type, storage=storage, target_form_id=target_id,
            is_unique=False, retired=False).returning(app_fields.c.id)).scalar_one()
        if storage:
            self.ops.add_column(table_name(form_id), field_column(field_id, storage))
            if f.type == "relation":
                self.ops.create_index(f"ix_t{form_id}_c{field_id}", table_name(form_id), [f"c_{field_id}"])
        elif f.type == "relation":
            metadata = MetaData()
            for tid in {form_id, target_id}:
                Table(table_name(tid), metadata, Column("id", Integer, primary_key=True))
            link_table(metadata, field_id, table_name(form_id), table_name(target_id)).create(self.conn)
        row = self.conn.execute(select(app_fields).where(app_fields.c.id == field_id)).one()
        self.fields.append(row)
        return row

    def _retire(self, row) -> None:
        self.conn.execute(update(app_fields).where(app_fields.c.id == row.id).values(retired=True))

    def _sync_unique(self, form_key: str, form_id: int, row, f) -> None:
        want = bool(f.unique)
        if want == row.is_unique or not row.storage:
            return
        table, column = _column_view(form_id, row.id, row.storage)
        name = unique_index_name(form_id, row.id)
        if want:
            dupes = select(column).where(column.is_not(None)).group_by(column).having(func.count() > 1).limit(5)
            dup_values = [v for (v,) in self.conn.execute(dupes)]
            if dup_values:
                ids = [i for (i,) in self.conn.execute(
                    select(table.c.id).where(column.in_(dup_values)).order_by(table.c.id).limit(_MAX_ROWS_NAMED))]
                self.problems.append(Problem(self._path(form_key, f.key) + "/unique", "duplicates_block_unique",
                                             {"key": f.key, "rows": ", ".join(map(str, ids))}))
                return
            self.ops.create_index(name, table.name, [column.name], unique=True)
        else:
            self.ops.drop_index(name, table_name=table.name)
        self.conn.execute(update(app_fields).where(app_fields.c.id == row.id).values(is_unique=want))

    # ---- data conversion ---------------------------------------------------------------------------------------
    def _path(self, form_key: str, field_key: str) -> str:
        return self.paths.get(f"{form_key}/{field_key}", "/forms")

    def _old_def(self, form_id: int, row):
        return self.old_defs.get((form_id, row.key))

    def _as_input(self, old_def, row, value):
        """A stored value of the old type as the API would show it, for the new type to parse."""
        if old_def is not None and old_def.type == row.type:
            value = field_type(row.type).dump(old_def, value, self.ctx)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, bool):  # read back by a checkbox, and plain to a person
            return "是" if value else "否"
        return value

    def _convert_values(self, form_key, form_id, source_row, new_def, target_field_id: int | None):
        """Coerce every stored value with the new definition; write them to the target field's column."""
        source, src = _column_view(form_id, source_row.id, source_row.storage)
        target = None
        if target_field_id:
            target, target_column = _column_view(form_id, target_field_id, field_type(new_def.type).storage_for(new_def))
        old_def = self._old_def(form_id, source_row)
        failed: list[int] = []
        last_id = 0
        while True:
            chunk = self.conn.execute(select(source.c.id, src).where(and_(source.c.id > last_id, src.is_not(None)))
                                      .order_by(source.c.id).limit(_CHUNK)).all()
            if not chunk:
                break
            last_id = chunk[-1][0]
            updates = []
            for record_id, value in chunk:
                try:
                    converted = coerce_value(new_def, self._as_input(old_def, source_row, value), self.ctx)
                except (FieldError, ProblemsError):
                    failed.append(record_id)
                    continue
                updates.append({"rid": record_id, "v": converted})
            if target is not None and updates and not failed:
                self.conn.execute(update(target).where(target.c.id == bindparam("rid"))
                                  .values({target_column.name: bindparam("v")}), updates)
        if failed:
            rows = ", ".join(map(str, failed[:_MAX_ROWS_NAMED])) + (" …" if len(failed) > _MAX_ROWS_NAMED else "")
            self.problems.append(Problem(self._path(form_key, new_def.key) + "/type", "cannot_convert",
                                         {"key": new_def.key, "old": source_row.type, "new": new_def.type, "rows": rows}))

    def _convert_in_place(self, form_key, form_id, row, f) -> None:
        """Same storage, another type (text → phone): check and normalise every value."""
        if row.storage:
            self._convert_values(form_key, form_id, row, f, row.id)
        self.conn.execute(update(app_fields).where(app_fields.c.id == row.id).values(type=f.type))

    def _convert_column(self, form_key, form_id, old_row, new_row, f) -> None:
        old_kind = self._row_shape(old_row)[0]
        new_kind = _shape(f)[0]
        if old_kind == new_kind == "column":
            if old_row.type == "relation" or f.type == "relation":
                self._require_empty(form_key, form_id, old_row, f)
            else:
                self._convert_values(form_key, form_id, old_row, f, new_row.id)
        elif old_kind == "column" and new_kind == "link" and old_row.type == "relation":
            self._require_same_target_then_link(form_key, form_id, old_row, new_row, f)
        else:
            self.problems.append(Problem(self._path(form_key, f.key) + "/type", "retype_unsupported",
                                         {"key": f.key, "old": old_row.type, "new": f.type}))

    def _require_empty(self, form_key, form_id, old_row, f) -> None:
        table, col = _column_view(form_id, old_row.id, old_row.storage)
        ids = [i for (i,) in self.conn.execute(select(table.c.id).where(col.is_not(None)).order_by(table.c.id)
                                               .limit(_MAX_ROWS_NAMED))]
        if ids:
            self.problems.append(Problem(self._path(form_key, f.key) + "/type", "cannot_convert",
                                         {"key": f.key, "old": old_row.type, "new": f.type, "rows": ", ".join(map(str, ids))}))

    def _require_same_target_then_link(self, form_key, form_id, old_row, new_row, f) -> None:
        """A one-relation becoming many keeps its links: each old value becomes one link row."""
        if old_row.target_form_id != new_row.target_form_id:
            self._require_empty(form_key, form_id, old_row, f)
            return
        source, col = _column_view(form_id, old_row.id, "integer")
        link = Table(link_name(new_row.id), MetaData(), Column("source_id", Integer), Column("target_id", Integer),
                     Column("position", Integer))
        self.conn.execute(insert(link).from_select(
            ["source_id", "target_id", "position"], select(source.c.id, col, 0).where(col.is_not(None))))


def publish_tables(conn: Connection, app_id: int, definition: AppDef, old: AppDef | None, ctx: Context) -> None:
    Publisher(conn, app_id, definition, ctx).run(old)
