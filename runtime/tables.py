"""Real tables for published forms: SQLAlchemy Table objects built once per app version and cached.

Identifiers come from platform ids, never from user text: form table t_{form_id}, column c_{field_id},
link table l_{field_id} for many-relations; a sub-table is a child form with its own t_{id} table.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData,
                        Numeric, Table, Text, select)
from sqlalchemy import exc as sa_exc

from builder.model import AppDef
from engines.form.definition import FormDef
from engines.form.fields import FieldType, field_type
from runtime.models import Json, app_fields, app_forms

# Money is Numeric; SQLite keeps it as REAL and SQLAlchemy warns once per process. Values are rounded
# to cents on the way in, so the warning adds nothing.
warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively.*",
                        category=sa_exc.SAWarning)

SQL_TYPES: dict[str, Any] = {
    "text": Text,
    "integer": Integer,
    "float": lambda: Float(53),
    "decimal": lambda: Numeric(18, 2),
    "date": Date,
    "datetime": DateTime,
    "boolean": Boolean,
    "json": lambda: Json,
}


def column_name(field_id: int) -> str:
    return f"c_{field_id}"


def table_name(form_id: int) -> str:
    return f"t_{form_id}"


def link_name(field_id: int) -> str:
    return f"l_{field_id}"


def unique_index_name(form_id: int, field_id: int) -> str:
    return f"ux_t{form_id}_c{field_id}"


def field_column(field_id: int, storage: str) -> Column:
    return Column(column_name(field_id), SQL_TYPES[storage]())


def system_columns(parent_table: str | None) -> list[Column]:
    if parent_table:  # sub-table rows belong to one record and keep their order
        return [Column("id", Integer, primary_key=True, autoincrement=True),
                Column("parent_id", Integer, ForeignKey(f"{parent_table}.id", ondelete="CASCADE"), nullable=False,
                       index=True),
                Column("position", Integer, nullable=False, default=0)]
    return [Column("id", Integer, primary_key=True, autoincrement=True),
            Column("created_at", DateTime, nullable=False),
            Column("updated_at", DateTime, nullable=False),
            Column("created_by", Integer),
            Column("updated_by", Integer),
            Column("owner", Integer, index=True),
            Column("version", BigInteger, nullable=False, default=1)]


def link_table(metadata: MetaData, field_id: int, source: str, target: str) -> Table:
    return Table(
        link_name(field_id), metadata,
        Column("source_id", Integer, ForeignKey(f"{source}.id", ondelete="CASCADE"), primary_key=True),
        Column("target_id", Integer, ForeignKey(f"{target}.id", ondelete="CASCADE"), primary_key=True),
        Column("position", Integer, nullable=False, default=0),
        Index(f"ix_l{field_id}_target", "target_id"),
    )


@dataclass
class FieldStore:
    """Where one field's values live."""
    id: int
    field: Any  # the field definition model
    type: FieldType
    column: Column | None = None
    link: Table | None = None  # many-relation
    child: "FormStore | None" = None  # sub-table
    target: "FormStore | None" = None  # relation
    names: "FormStore | None" = None  # a lookup of a one-record relation: the form whose record id it holds

    @property
    def key(self) -> str:
        return self.field.key


@dataclass
class FormStore:
    id: int
    key: str
    definition: Any  # FormDef, or the sub-table field for child forms
    table: Table
    fields: dict[str, FieldStore] = field(default_factory=dict)
    parent: "FormStore | None" = None

    @cached_property
    def columns(self) -> list[tuple[str, str]]:
        """(field key, column name) of the fields stored in this table's own columns (not the fields that
        show a system column such as created_at)."""
        return [(key, store.column.name) for key, store in self.fields.items()
                if store.column is not None and not hasattr(store.type, "system_column")]

    @cached_property
    def linked(self) -> list["FieldStore"]:
        """Fields whose values live elsewhere or point elsewhere: relations, links and sub-tables."""
        return [store for store in self.fields.values() if store.target is not None or store.child is not None]

    @cached_property
    def people(self) -> list["FieldStore"]:
        """Member and department fields, and sub-tables holding some: their ids must exist."""
        return [store for store in self.fields.values()
                if hasattr(store.type, "refers_to") or (store.child is not None and store.child.people)]

    @cached_property
    def has_files(self) -> bool:
        """Attachment, image or signature fields, here or in a sub-table: their files must exist."""
        return any(hasattr(store.type, "file_tokens") or (store.child is not None and store.child.has_files)
                   for store in self.fields.values())

    @cached_property
    def unique(self) -> list["FieldStore"]:
        """Fields whose values must be unique, in the table's own columns (each has a unique index)."""
        return [store for store in self.fields.values() if store.field.unique and store.column is not None]

    @cached_property
    def has_linkage(self) -> bool:
        """Linkage rules on the form or on one of its sub-tables."""
        return bool(getattr(self.definition, "linkage", None)) or any(
            getattr(f, "linkage", None) for f in self.definition.fields if f.type == "subtable")

    @cached_property
    def expression_defaults(self) -> list:
        """Field definitions whose default is an expression ({"expr": …}), computed when a record is created."""
        return [f for f in self.definition.fields if isinstance(f.default, dict) and "expr" in f.default]

    def title_column(self) -> Column | None:
        key = self.definition.title_key() if isinstance(self.definition, FormDef) else None
        store = self.fields.get(key) if key else None
        return store.column if store is not None else None


@dataclass
class AppSchema:
    app_id: int
    key: str
    version: int
    definition: AppDef
    metadata: MetaData
    forms: dict[str, FormStore]

    def form(self, key: str) -> FormStore | None:
        store = self.forms.get(key)
        return store if store is not None and store.parent is None else None


def build_schema(app_id: int, app_key: str, version: int, definition: AppDef,
                 form_rows: list, field_rows: list) -> AppSchema:
    """Table objects for the active forms and fields of one published version."""
    metadata = MetaData()
    forms_by_key = {row.key: row for row in form_rows if not row.retired}
    active: dict[tuple[int, str], Any] = {(row.form_id, row.key): row for row in field_rows if not row.retired}
    stores: dict[str, FormStore] = {}

    def make_form(key: str, definition: Any, fields: list, parent: FormStore | None) -> FormStore:
        row = forms_by_key[key]
        columns = system_columns(parent.table.name if parent else None)
        store = FormStore(row.id, key, definition, Table(table_name(row.id), metadata, *columns), parent=parent)
        for f in fields:
            frow = active[(row.id, f.key)]
            fstore = FieldStore(frow.id, f, field_type(f.type))
            if frow.storage:
                fstore.column = field_column(frow.id, frow.storage)
                store.table.append_column(fstore.column)
            elif hasattr(fstore.type, "system_column") and parent is None:  # 创建人, 修改时间…: the record's own
                fstore.column = store.table.c[fstore.type.system_column]
            store.fields[f.key] = fstore
        stores[key] = store
        for f in fields:
            if f.type == "subtable":
                store.fields[f.key].child = make_form(f"{key}.{f.key}", f, f.fields, store)
        return store

    for form in definition.forms:
        make_form(form.key, form, form.fields, None)
    for store in stores.values():
        for fstore in store.fields.values():
            if fstore.field.type == "relation":
                fstore.target = stores[fstore.field.target]
                if fstore.field.many:
                    fstore.link = link_table(metadata, fstore.id, store.table.name, fstore.target.table.name)
            elif fstore.field.type == "lookup":
                source = fstore.field._source
                if source is not None and source.type == "relation" and not source.many:
                    fstore.names = stores[source.target]
    return AppSchema(app_id, app_key, version, definition, metadata, stores)


class SchemaCache:
    """App schemas by (app id, version): a published version never changes, so entries never go stale."""

    def __init__(self, size: int = 64):
        self._items: OrderedDict[tuple[int, int], AppSchema] = OrderedDict()
        self.size = size

    async def get(self, conn, app_key: str, known: tuple | None = None) -> AppSchema:
        """The schema of the app's current version (one small query when cached; none when `known`, the
        (key, id, version) read a moment before with the caller's session, is this app's)."""
        from runtime.models import apps

        if known is not None and known[0] == app_key:
            head = None if known[1] is None else tuple(known[1:])
        else:
            head = (await conn.execute(select(apps.c.id, apps.c.current_version).where(apps.c.key == app_key))).first()
        if head is None or head[1] is None:
            from runtime.errors import not_found
            raise not_found(f"app {app_key!r}")
        app_id, version = head
        cache_key = (app_id, version)
        if cache_key in self._items:
            self._items.move_to_end(cache_key)
            return self._items[cache_key]
        schema = await load_schema(conn, app_id, app_key, version)
        self._items[cache_key] = schema
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return schema


async def load_schema(conn, app_id: int, app_key: str, version: int) -> AppSchema:
    """Build the schema of one version from the database, uncached (a publish uses it before it commits)."""
    from runtime.models import app_versions

    definition_json = (await conn.execute(select(app_versions.c.definition).where(
        app_versions.c.app_id == app_id, app_versions.c.version == version))).scalar_one()
    form_rows = (await conn.execute(select(app_forms).where(app_forms.c.app_id == app_id))).all()
    field_rows = (await conn.execute(select(app_fields).where(
        app_fields.c.form_id.in_([r.id for r in form_rows])))).all() if form_rows else []
    return build_schema(app_id, app_key, version, AppDef.model_validate(definition_json), form_rows, field_rows)
