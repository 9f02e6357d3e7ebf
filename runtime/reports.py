"""Reports of published apps, for one viewer: their rows only, never a field hidden from them; results cached
briefly under the app's data version; Excel export; dashboards of several reports sharing filters.

Each report is one SQL statement (engines.report.compile) run inside the database.
"""
from __future__ import annotations

import functools
import io
import json
import time
from collections import OrderedDict
from datetime import date, datetime, timezone
from typing import Any

from openpyxl import Workbook
from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engines.expr import ExprError, compile_expression
from engines.problems import Problem, ProblemsError
from engines.report.charts import shape
from engines.report.compile import Path, compile_report, quote, resolve
from engines.report.dashboards import KINDS, DashboardDef, FilterValueError, filter_values
from engines.report.definition import ReportDef
from engines.report.source import row_source, source_scope, without_parent_step
from runtime.errors import ApiError, not_found
from runtime.export import _sheet_name
from runtime.expressions import SchemaTables, compiled, eval_context
from runtime.models import app_data_versions, users
from runtime.permissions import Access
from runtime.tables import AppSchema

CACHE_SECONDS = 60.0
CACHE_SIZE = 256


async def data_changed(conn, app_id: int, returning=None):
    """Called in the transaction of every record write: cached report results of the app stop counting. Each
    connection bumps its own row (no waiting on other writers); readers add the rows up. `returning`: a scalar
    the writer needs as well (the app's webhook counter), read by this same statement at no extra round trip —
    built once, naming the app as bindparam("app_id")."""
    result = await conn.execute(_bump(conn.dialect.name, returning), {"app_id": app_id})
    return result.scalar() if returning is not None else None


@functools.cache
def _bump(dialect: str, returning) -> Any:
    """The statement of data_changed, built once per database kind and `returning` (every write runs it)."""
    postgres = dialect == "postgresql"
    shard = func.pg_backend_pid() if postgres else literal(0)
    statement = (pg_insert if postgres else sqlite_insert)(app_data_versions).values(
        app_id=bindparam("app_id"), shard=shard, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=["app_id", "shard"], set_={"value": app_data_versions.c.value + 1})
    return statement if returning is None else statement.returning(returning)


async def data_version(conn, app_id: int) -> int:
    return (await conn.execute(select(func.coalesce(func.sum(app_data_versions.c.value), 0)).where(
        app_data_versions.c.app_id == app_id))).scalar_one()


class ReportCatalog(SchemaTables):
    """engines.report.compile.Catalog over a published app, as one viewer sees it."""

    def __init__(self, schema: AppSchema, access: Access):
        super().__init__(schema)
        self.access = access
        self.forms = {f.key: f for f in schema.definition.forms}
        self.users = users

    def title_column(self, form: str) -> str | None:
        store = self.schema.forms[form]
        key = store.definition.title_key()
        if key is None or key in self.access.hidden(form) or store.fields[key].column is None:
            return None
        return store.fields[key].column.name

    def rows(self, form: str, table):
        return self.access.rows(self.schema.forms[form], "read", table)


class ResultCache:
    """Answers by (report, filters, viewer, data version), for a minute at most: a dashboard opened by many
    people runs each report once; any write to the app changes the version, so nothing stale is served."""

    def __init__(self):
        self.items: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()

    def get(self, key: tuple) -> dict | None:
        found = self.items.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        self.items.move_to_end(key)
        return found[1]

    def put(self, key: tuple, value: dict) -> None:
        self.items[key] = (time.monotonic() + CACHE_SECONDS, value)
        while len(self.items) > CACHE_SIZE:
            self.items.popitem(last=False)


RESULTS = ResultCache()


def find_report(schema: AppSchema, key: str) -> ReportDef:
    report = next((r for r in schema.definition.reports if r.key == key), None)
    if report is None:
        raise not_found(f"report {key!r}")
    return report


def source_compiled(schema: AppSchema, source: str, text: str, expect: str | None = None):
    """An expression in a report's source (a form, or a sub-table's rows with their parent), compiled once per
    app version, and the same as permissions read it: the parent's fields are the row's own."""
    rows = row_source(source)
    if rows is None:
        found = compiled(schema, source, text, expect)
        return found, found
    cache = schema.__dict__.setdefault("_report_expressions", {})
    key = (source, text, expect)
    if key not in cache:
        if len(cache) > 500:
            cache.clear()
        found = compile_expression(text, source_scope({f.key: f for f in schema.definition.forms}, source), expect)
        cache[key] = found, without_parent_step(found, rows)
    return cache[key]


def viewer_problems(schema: AppSchema, report: ReportDef, access: Access) -> list[Problem]:
    """What of the report the viewer may not see: a hidden field shown as a dimension or aggregated, or a field
    of linked records they may only partly read."""
    if not access.restricted:
        return []
    if not access.allows(report.source, "read"):
        return [Problem("/source", "forbidden_op", {"op": "read", "form": report.source})]
    found = []
    used = [(f"/dimensions/{j}/field", d.field) for j, d in enumerate(report.dimensions)]
    used += [(f"/dimensions/{j}/first_by", d.first_by) for j, d in enumerate(report.dimensions) if d.first_by]
    for j, m in enumerate(report.measures):
        used += [(f"/measures/{j}/{key}", getattr(m, key)) for key in ("field", "expr", "date") if getattr(m, key)]
    for where, text in used:
        for problem in access.path_problems(report.source, source_compiled(schema, report.source, text)[1], where):
            code = "report_field_hidden" if problem.code == "field_hidden" else problem.code
            found.append(Problem(problem.path, code, problem.params))
    return found


def visible(schema: AppSchema, access: Access) -> list[dict]:
    return [{"key": r.key, "name": r.name, "description": r.description, "source": r.source,
             "chart": (r.chart or {}).get("type")}
            for r in schema.definition.reports if not viewer_problems(schema, r, access)]


# ---- runtime filters -----------------------------------------------------------------------------------------
def condition_text(path: Path, op: str, value: Any) -> str:
    """A picked filter value as a condition in the expression language (it also goes into drill-downs)."""
    def literal(v):
        if isinstance(v, date):
            return quote(v.isoformat()) if path.kind == "datetime" else f"DATEVALUE('{v.isoformat()}')"
        return str(v) if isinstance(v, int) else quote(str(v))

    name = f"FORMAT_DATE({path.text}, 'YYYY-MM-DD')" if path.kind == "datetime" else path.text
    if op == "in":
        return f"{name} IN ({', '.join(literal(v) for v in value)})"
    if op == "contains":
        return f"CONTAINS({name}, {literal(value)})"
    return f"{name} {op} {literal(value)}"


def param_kind(path: Path) -> str:
    """Which dashboard filter kind reads a query parameter on this field."""
    if path.kind in ("date", "datetime"):
        return "date_range"
    if path.display == "relation":
        return "relation"
    if path.display == "member":
        return "member"
    return "select"


class Filters:
    """The viewer's narrowing of a report: `filter=EXPR`, `field=value` parameters, a dashboard's shared filters."""

    def __init__(self, schema: AppSchema, report: ReportDef, access: Access, today: date):
        self.schema, self.report, self.access, self.today = schema, report, access, today
        self.scope = source_scope({f.key: f for f in schema.definition.forms}, report.source)
        self.texts: list[str] = []
        self.problems: list[Problem] = []

    def expression(self, text: str | None, where: str = "/query/filter") -> None:
        if text is None or not text.strip():
            return
        try:
            found = source_compiled(self.schema, self.report.source, text, "bool")[1]
        except ExprError as e:
            self.problems.append(e.problem(where))
            return
        self.problems += self.access.path_problems(self.report.source, found, where)
        self.texts.append(text)

    def params(self, given: dict[str, str]) -> None:
        for key, raw in given.items():
            path = self.path(key, f"/query/{key}")
            if path is None or not raw.strip():
                continue
            try:
                conditions = KINDS[param_kind(path)](raw.strip(), self.today)
            except FilterValueError as e:
                self.problems.append(Problem(f"/query/{key}", e.code, e.params))
                continue
            self.conditions([(key, op, value) for op, value in conditions])

    def conditions(self, given: list[tuple[str, str, Any]]) -> None:
        for key, op, value in given:
            path = self.path(key, f"/query/{key}")
            if path is not None:
                self.texts.append(condition_text(path, op, value))

    def path(self, key: str, where: str) -> Path | None:
        try:
            path = resolve(self.scope, key)
        except ExprError:
            self.problems.append(Problem(where, "report_unknown_filter", {"key": key}))
            return None
        self.problems += self.access.path_problems(
            self.report.source, source_compiled(self.schema, self.report.source, key)[1], where)
        return path

    def check(self) -> None:
        if self.problems:
            raise ApiError(400, "bad_query", self.problems)


def local_today(tz) -> date:
    return datetime.now(timezone.utc).astimezone(tz).date()


# ---- running -------------------------------------------------------------------------------------------------
async def run(conn, schema: AppSchema, access: Access, report: ReportDef, tz, filters: Filters | None = None,
              lang: str = "zh-CN") -> dict:
    """The report's answer: columns, rows (each with `_drill`, the filter listing its records), totals, chart."""
    problems = viewer_problems(schema, report, access)
    if problems:
        raise ApiError(403, "report_not_allowed", problems, report=report.key)
    texts = filters.texts if filters is not None else []
    version = await data_version(conn, schema.app_id)
    key = (str(conn.engine.url), schema.app_id, schema.version, version, access.principal.user_id, access.restricted,
           json.dumps(report.model_dump(mode="json", by_alias=True), sort_keys=True), tuple(texts), lang)
    cached = RESULTS.get(key)
    if cached is not None:
        return cached
    ctx = eval_context(tz, access.principal.user_id)
    try:
        plan = compile_report(report, ReportCatalog(schema, access), ctx, conn.dialect.name, texts)
    except ExprError as e:
        raise ApiError(400, "bad_query", [e.problem("/query/filter")]) from None
    rows, totals = plan.shape((await conn.execute(plan.statement)).all(), tz)
    answer = {"report": {"key": report.key, "name": report.name, "drill_form": plan.drill_form}, "columns": plan.columns, "rows": rows,
              "totals": totals}
    if report.pivot is not None:
        answer["pivot"] = pivot(report, rows, totals)
    if report.chart is not None:
        grand = next((t for t in totals if not t["_keys"]), None)
        answer["chart"] = shape(report.chart, plan.columns, rows, grand, lang)
    RESULTS.put(key, answer)
    return answer


def pivot(report: ReportDef, rows: list[dict], totals: list[dict]) -> dict:
    """Rows × columns: the column headers (value combinations of the column dimensions, in result order) and
    per row of the row dimensions its cells by header index; totals per row, per column and overall."""
    spec = report.pivot
    values = [m.as_ for m in report.measures] + [m.as_ for m in report.metrics]
    headers: list[tuple] = []
    lines: dict[tuple, dict] = {}

    def cells_of(row):
        return {v: row[v] for v in values}

    for row in rows:
        column = tuple(row[k] for k in spec.columns)
        if column not in headers:
            headers.append(column)
        line = tuple(row[k] for k in spec.rows)
        lines.setdefault(line, {"keys": dict(zip(spec.rows, line)), "cells": {}, "total": None})
        lines[line]["cells"][headers.index(column)] = cells_of(row) | {"_drill": row["_drill"]}
    column_totals, grand = {}, None
    for row in totals:
        named = set(row["_keys"])  # the dimensions this total row is grouped by
        if named == set(spec.rows) and spec.rows:
            line = tuple(row[k] for k in spec.rows)
            if line in lines:
                lines[line]["total"] = cells_of(row)
        elif named == set(spec.columns):
            column = tuple(row[k] for k in spec.columns)
            if column in headers:
                column_totals[headers.index(column)] = cells_of(row)
        elif not named:
            grand = cells_of(row)
    return {"rows": spec.rows, "columns": spec.columns, "values": values,
            "headers": [dict(zip(spec.columns, h)) for h in headers],
            "lines": [{"keys": line["keys"], "cells": [line["cells"].get(i) for i in range(len(headers))],
                       "total": line["total"]} for line in lines.values()],
            "column_totals": [column_totals.get(i) for i in range(len(headers))], "total": grand}


async def dashboard(conn, schema: AppSchema, access: Access, key: str, given: dict[str, str], tz,
                    lang: str = "zh-CN") -> dict:
    """A dashboard's widgets, each with its report's answer under the shared filters — or, for a report the
    viewer may not see, the reason instead of data."""
    board: DashboardDef | None = next((d for d in schema.definition.dashboards if d.key == key), None)
    if board is None:
        raise not_found(f"dashboard {key!r}")
    today = local_today(tz)
    try:
        per_report = filter_values(board, given, today)
    except ProblemsError as e:
        raise ApiError(400, "bad_query", [p.under("/query") for p in e.problems]) from None
    widgets = []
    for widget in board.placed():
        entry = widget.model_dump(exclude_none=True)
        try:
            report = find_report(schema, widget.report)
            filters = Filters(schema, report, access, today)
            filters.conditions(per_report.get(widget.report, []))
            filters.check()
            entry["data"] = await run(conn, schema, access, report, tz, filters, lang)
        except ApiError as e:
            entry["error"] = {"code": e.code, "status": e.status, "params": e.params,
                              "details": [{"path": p.path, "code": p.code, "params": p.params} for p in e.details]}
        widgets.append(entry)
    return {"key": board.key, "name": board.name, "description": board.description,
            "filters": [f.model_dump(exclude_none=True) for f in board.filters], "values": given, "widgets": widgets}


def to_xlsx(answer: dict, lang: str) -> bytes:
    """The report as a sheet: its columns as headers, its rows, then the total rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(answer["report"]["name"])
    columns = answer["columns"]
    sheet.append([c["label"] for c in columns])
    for row in answer["rows"]:
        sheet.append([row.get(c["key"]) for c in columns])
    total = "Total" if lang.startswith("en") else "合计"
    for row in answer["totals"]:
        cells = [row.get(c["key"]) for c in columns]
        first_empty = next((i for i, c in enumerate(columns) if c["role"] == "dimension" and cells[i] is None), None)
        if first_empty is not None:
            cells[first_empty] = total
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
