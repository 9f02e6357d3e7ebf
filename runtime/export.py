"""Records out to a spreadsheet (CSV or Excel), in the form's field order, with people-readable values.

Relations show their titles, lists are joined with ", ", yes/no as 是/否, date-times in the deployment's
zone. Excel files get one more sheet per sub-table, its rows tied to their record by 编号 / id."""
from __future__ import annotations

import csv
import io
from typing import AsyncIterator, Callable

from openpyxl import Workbook

from runtime.records import RecordReader
from runtime.tables import FormStore

PAGE = 1000
SYSTEM_COLUMNS = [("id", ("编号", "ID")), ("created_at", ("创建时间", "Created at")), ("updated_at", ("更新时间", "Updated at"))]


def cell(value, for_excel: bool, moment: bool = False):
    """A value as a person reads it; `moment` marks a date-time (ISO text in the deployment's zone)."""
    if value is None:
        return None if for_excel else ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return value.get("title", value.get("name", value.get("id")))
    if isinstance(value, list):
        return ", ".join(str(cell(v, False)) for v in value)
    if moment:
        return value[:19].replace("T", " ")  # to the second, without the offset
    return value


def _as_is(value):
    return value


def _shown(store) -> Callable:
    def show(value):
        return None if value is None else store.type.to_cell(store.field, value)
    return show


def headers(form: FormStore, lang: str, hidden: set[str] = frozenset()) -> tuple[list[tuple[str, bool, Callable]], list[str]]:
    """[(field key, is a date-time, API value → what the cell shows)] and the column titles, in the form's order.
    Layout items (dividers, notes) hold no value and get no column."""
    en = lang.startswith("en")
    keys, labels = [], []
    for key, store in form.fields.items():
        holds_value = store.column is not None or store.link is not None
        if store.child is None and holds_value and key not in hidden:
            moment = store.type.expr_kind == "datetime" or getattr(store.field, "result", None) == "datetime"
            keys.append((key, moment, _shown(store)))
            labels.append(store.field.label or key)
    if form.parent is None:
        for key, names in SYSTEM_COLUMNS:
            keys.append((key, key != "id", _as_is))
            labels.append(names[1] if en else names[0])
    return keys, labels


async def pages(reader: RecordReader, form_key: str, **query) -> AsyncIterator[list[dict]]:
    page = 1
    while True:
        result = await reader.list(form_key, page=page, page_size=PAGE, **query)
        if result["items"]:
            yield result["items"]
        if page * PAGE >= result["total"]:
            return
        page += 1


async def to_csv(reader: RecordReader, form: FormStore, lang: str, **query) -> bytes:
    keys, labels = headers(form, lang, reader.access.hidden(form.key))
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with this mark
    writer = csv.writer(buffer)
    writer.writerow(labels)
    async for items in pages(reader, form.key, **query):
        writer.writerows([cell(show(item.get(k)), False, moment) for k, moment, show in keys] for item in items)
    return buffer.getvalue().encode("utf-8")


async def to_xlsx(reader: RecordReader, form: FormStore, lang: str, **query) -> bytes:
    workbook = Workbook()
    keys, labels = headers(form, lang, reader.access.hidden(form.key))
    main = workbook.active
    main.title = _sheet_name(form.definition.name)
    main.append(labels)
    hidden = reader.access.hidden(form.key)
    children = [(key, store) for key, store in form.fields.items() if store.child is not None and key not in hidden]
    child_sheets = {}
    for key, store in children:
        sheet = workbook.create_sheet(_sheet_name(f"{form.definition.name}-{store.field.label or key}"))
        child_keys, child_labels = headers(store.child, lang, reader.access.hidden(store.child.key))
        record_label = "Record ID" if lang.startswith("en") else "记录编号"
        sheet.append([record_label, *child_labels])
        child_sheets[key] = (sheet, child_keys)
    async for items in pages(reader, form.key, **query):
        for item in items:
            main.append([cell(show(item.get(k)), True, moment) for k, moment, show in keys])
            for key, (sheet, child_keys) in child_sheets.items():
                for row in item.get(key) or []:
                    sheet.append([item["id"], *(cell(show(row.get(k)), True, moment) for k, moment, show in child_keys)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name[:31] or "Sheet"
