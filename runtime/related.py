"""Records of other forms that point at one record (a customer's orders, follow-ups, coupon claims…): per relation,
how many the viewer may read and the latest few. Each form keeps its own rights: a form the viewer may not read, or
a relation field hidden from them, is left out; counts and rows stay within the viewer's row scope."""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select

from runtime.permissions import Access
from runtime.records import RecordReader
from runtime.tables import AppSchema, FormStore

LATEST = 5


def links_to(schema: AppSchema, access: Access, target: FormStore, record_id: int):
    """(form, place, label, condition on the form's rows) for each relation (or sub-table relation) in the forms
    the viewer may read that points at `target`; "lines.product" for a relation inside a sub-table."""
    for other in schema.forms.values():
        if other.parent is not None or not access.allows(other.key, "read"):
            continue
        hidden = access.hidden(other.key)
        for key, store in other.fields.items():
            if key in hidden:
                continue
            label = store.field.label or key
            if store.target is target:
                condition = _points_at(store, other.table.c.id, record_id)
                if condition is not None:
                    yield other, key, label, condition
            elif store.child is not None:
                child = store.child
                for row_key, row_store in child.fields.items():
                    if row_store.target is not target or row_key in access.hidden(child.key):
                        continue
                    rows = _rows_pointing(child, row_store, record_id)
                    yield other, f"{key}.{row_key}", f"{label} · {row_store.field.label or row_key}", \
                        other.table.c.id.in_(rows)


def _points_at(store, source_id, record_id: int):
    if store.link is not None:  # many: through the link table
        return exists().where(store.link.c.source_id == source_id, store.link.c.target_id == record_id)
    if store.column is not None:
        return store.column == record_id
    return None


def _rows_pointing(child: FormStore, row_store, record_id: int):
    """Ids of the main records with a sub-table row pointing at the record."""
    if row_store.column is not None:
        return select(child.table.c.parent_id).where(row_store.column == record_id)
    return select(child.table.c.parent_id).where(child.table.c.id.in_(
        select(row_store.link.c.source_id).where(row_store.link.c.target_id == record_id)))


async def related_records(conn, schema: AppSchema, access: Access, reader: RecordReader, target: FormStore,
                          record_id: int, latest: int = LATEST) -> list[dict]:
    """[{"form", "name", "field", "label", "count", "latest"}] for every relation pointing at the record."""
    found = []
    for other, place, label, condition in links_to(schema, access, target, record_id):
        scope = access.rows(other, "read")
        where = and_(condition, scope) if scope is not None else condition
        # the count of every match rides on the newest rows: a window is counted before LIMIT applies
        rows = (await conn.execute(select(other.table, func.count().over().label("_related_total")).where(where)
                                   .order_by(other.table.c.created_at.desc(), other.table.c.id.desc())
                                   .limit(latest))).mappings().all()
        found.append({"form": other.key, "name": other.definition.name, "field": place, "label": label,
                      "count": rows[0]["_related_total"] if rows else 0, "latest": await reader.shape(other, rows)})
    return found
