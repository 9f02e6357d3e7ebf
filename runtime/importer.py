"""Spreadsheet import (Excel .xlsx or CSV): headers mapped to fields, values converted by the form engine,
relations found by their title, a report per row and column, and nothing written unless every row is good
(or, when asked, only the good rows). Rows are read and written in chunks, never all at once."""
from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from typing import Any, Iterator

from openpyxl import load_workbook
from sqlalchemy import or_, select

from engines.problems import MESSAGES, ProblemsError
from runtime.models import departments, users
from runtime.records import form_store
from runtime.tables import AppSchema, FormStore
from runtime.write import RecordWriter

CHUNK = 1000
MAX_ERRORS = 1000
MESSAGES.update({
    "no_title_match": ("「{form}」中没有标题为「{title}」的记录", "no record titled {title!r} in {form!r}"),
    "many_title_matches": ("「{form}」中有多条标题为「{title}」的记录，请改填编号", "several records titled {title!r} in {form!r}; use the id"),
    "bad_file": ("无法读取文件：{error}", "the file cannot be read: {error}"),
    "no_columns": ("没有一列能对应到表单字段（表头应为字段名称或键）", "no column matches a field (headers must be field labels or keys)"),
})
SYSTEM_HEADERS = {"id", "编号", "created_at", "updated_at", "创建时间", "更新时间", "version", "记录编号", "record id"}


@dataclass
class ImportReport:
    imported: int = 0
    failed_rows: set = field(default_factory=set)
    errors: list[dict] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # header → field key
    ignored_columns: list[str] = field(default_factory=list)
    lang: str = "zh-CN"

    def body(self, written: bool) -> dict:
        return {"imported": self.imported if written else 0, "failed": len(self.failed_rows),
                "errors": self.errors, "columns": self.columns, "ignored_columns": self.ignored_columns}

    def dry_run_body(self) -> dict:
        """What an import would do, nothing written: `valid` rows would be imported (all of them only when
        `failed` is 0 in all-or-nothing mode)."""
        return {"dry_run": True, "imported": 0, "valid": self.imported, "failed": len(self.failed_rows),
                "errors": self.errors, "columns": self.columns, "ignored_columns": self.ignored_columns}


def read_rows(filename: str, stream) -> Iterator[list[Any]]:
    """Rows of the first sheet (or the CSV) as lists of cell values, header first."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        book = load_workbook(stream, read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            book.close()
        return
    raw = stream.read(4096)
    stream.seek(0)
    encoding = "utf-8-sig"
    try:  # incrementally: the sample may end in the middle of a character
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
    except UnicodeDecodeError:
        encoding = "gb18030"  # CSV saved by Excel on Chinese Windows
    yield from csv.reader(codecs.getreader(encoding)(stream, errors="strict"))


def map_columns(form: FormStore, header: list, given: dict[str, str] | None) -> tuple[dict[int, str], list[str]]:
    """Column index → field key: the mapping given, else a header equal to a field's key or label."""
    writable = {key: store for key, store in form.fields.items() if store.child is None and not store.type.is_generated}
    by_label = {(store.field.label or "").strip().lower(): key for key, store in writable.items() if store.field.label}
    columns, ignored = {}, []
    for index, cell in enumerate(header):
        title = str(cell).strip() if cell is not None else ""
        if not title:
            continue
        if given is not None and title in given:
            key = given[title] or None  # "" leaves a column out on purpose
            if key is None:
                ignored.append(title)
                continue
        else:
            key = title if title in writable else by_label.get(title.lower())
        if key in writable:
            columns[index] = key
        elif title.lower() not in SYSTEM_HEADERS and title not in form.fields:
            ignored.append(title)
    return columns, ignored


PREVIEW_ROWS = 5


def preview(form: FormStore, rows: Iterator[list]) -> dict:
    """What the mapping step shows: the headers, the first rows, the columns matched by label or key and the
    fields a column may go to."""
    header = next(rows, None)
    if header is None:
        raise ProblemsError([_problem("/file", "no_columns")])
    headers = [str(cell).strip() if cell is not None else "" for cell in header]
    sample = []
    for row in rows:
        cells = [_shown(_cell(value)) for value in row]
        if any(cell is not None for cell in cells):
            sample.append(cells)
        if len(sample) >= PREVIEW_ROWS:
            break
    columns, _ = map_columns(form, header, None)
    return {"headers": headers, "rows": sample,
            "mapping": {headers[index]: key for index, key in columns.items()},
            "fields": [{"key": key, "label": store.field.label or key, "type": store.field.type,
                        "required": bool(getattr(store.field, "required", False))}
                       for key, store in form.fields.items() if store.child is None and not store.type.is_generated]}


def _shown(value):
    """A cell as JSON can carry it (dates and times as ISO text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _cell(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 13800000001.0 from Excel is a phone number, not a fraction
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


async def import_rows(conn, schema: AppSchema, form_key: str, rows: Iterator[list], writer: RecordWriter,
                      mapping: dict[str, str] | None, good_rows_only: bool, lang: str) -> tuple[ImportReport, bool]:
    """Import every row; returns the report and whether the rows may be kept (all good, or good-rows mode)."""
    form = form_store(schema, form_key)
    report = ImportReport(lang=lang)
    header = next(rows, None)
    if header is None:
        raise ProblemsError([_problem("/file", "no_columns")])
    columns, report.ignored_columns = map_columns(form, header, mapping)
    if not columns:
        raise ProblemsError([_problem("/file", "no_columns")])
    headers = {key: str(header[index]).strip() for index, key in columns.items()}
    report.columns = {str(header[i]).strip(): key for i, key in columns.items()}
    chunk: list[tuple[int, dict]] = []
    for number, row in enumerate(rows, start=2):
        # an empty cell is a value not given, so the field's default applies
        item = {key: value for index, key in columns.items() if index < len(row)
                and (value := _cell(row[index])) is not None}
        if not item:
            continue  # blank line
        chunk.append((number, item))
        if len(chunk) >= CHUNK:
            await _write_chunk(conn, form, writer, chunk, headers, report, good_rows_only)
            chunk = []
    if chunk:
        await _write_chunk(conn, form, writer, chunk, headers, report, good_rows_only)
    return report, good_rows_only or not report.failed_rows


async def _write_chunk(conn, form: FormStore, writer: RecordWriter, chunk, headers, report: ImportReport,
                       good_rows_only: bool) -> None:
    await _resolve_titles(conn, form, chunk, headers, report)
    items = [(n, item) for n, item in chunk if n not in report.failed_rows]
    while items:
        try:
            ids = await writer.create_many(form.key, [item for _, item in items], prefix=lambda i: f"/{i}")
            report.imported += len(ids)
            return
        except ProblemsError as e:
            bad = set()
            for problem in e.problems:
                index, _, rest = problem.path.lstrip("/").partition("/")
                number = items[int(index)][0]
                bad.add(number)
                key = rest.split("/")[0]
                _report(report, number, headers.get(key, key), key, problem.message(report.lang))
            report.failed_rows |= bad
            if not good_rows_only:
                return  # nothing will be kept; the rest of the file is still checked for the report
            items = [(n, item) for n, item in items if n not in bad]


def _named_sources(form: FormStore):
    """(field key, many, what is named, name columns, id column) of the cells that may name a record, a user or a
    department instead of giving its id."""
    for key, store in form.fields.items():
        if store.field.type == "relation" and store.target.title_column() is not None:
            yield key, store.link is not None, store.target.definition.name, [store.target.title_column()], \
                store.target.table.c.id
        elif getattr(store.type, "refers_to", None) == "user":
            yield key, store.field.many, "成员", [users.c.name, users.c.username], users.c.id
        elif getattr(store.type, "refers_to", None) == "department":
            yield key, store.field.many, "部门", [departments.c.name], departments.c.id


async def _resolve_titles(conn, form: FormStore, chunk, headers, report: ImportReport) -> None:
    """Cells that hold a title (a record's title, a person's name) rather than an id: one query per column for
    the chunk."""
    for key, many, named, columns, id_column in _named_sources(form):
        titles = {v for _, item in chunk for v in _titles(item.get(key))}
        if not titles:
            continue
        found: dict[str, set[int]] = {}
        query = select(id_column, *columns).where(or_(*(column.in_(list(titles)) for column in columns)))
        for record_id, *names in (await conn.execute(query)).all():
            for name in names:
                if name:
                    found.setdefault(str(name), set()).add(record_id)
        for number, item in chunk:
            value = item.get(key)
            names = _titles(value)
            if not names:
                continue
            ids = []
            for name in names:
                matches = found.get(name, set())
                if len(matches) != 1:
                    code = "no_title_match" if not matches else "many_title_matches"
                    report.failed_rows.add(number)
                    message = _problem("", code, form=named, title=name)
                    _report(report, number, headers.get(key, key), key, message.message(report.lang))
                    break
                ids.append(next(iter(matches)))
            else:
                item[key] = ids if many else ids[0]


def _titles(value) -> list[str]:
    """Titles in a relation cell ("张三", or "荔枝, 大米" for many); ids stay as they are."""
    if value is None or isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace("，", ",").replace("、", ",").split(",") if part.strip()]
    return []


def _problem(path, code, **params):
    from engines.problems import Problem

    return Problem(path, code, params)


def _report(report: ImportReport, row: int, column: str, key: str, message: str) -> None:
    if len(report.errors) < MAX_ERRORS:
        report.errors.append({"row": row, "column": column, "field": key, "message": message})

