"""Reports checked at publish against the app's forms: every field, expression, key and chart, by JSON pointer."""
from __future__ import annotations

from typing import Any, Mapping

from engines.expr import ExprError, compile_expression
from engines.problems import Problem, pointer
from engines.report.charts import chart_problems
from engines.report.compile import Path, output_columns, resolve
from engines.report.definition import ReportDef
from engines.report.metrics import compile_metric
from engines.report.source import source_problems, source_scope

GROUPABLE = {"text", "number", "date", "datetime", "bool", "ref"}
LISTS = {"tags", "multi_select"}  # dimensions with one group per item; a record counts in each of its items
NUMERIC = {"number"}
DATES = {"date", "datetime"}


def report_problems(reports: list[ReportDef], forms: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, report in enumerate(reports):
        here = pointer("reports", i)
        if report.key in seen:
            problems.append(Problem(here + "/key", "duplicate_key", {"key": report.key, "other": seen[report.key]}))
        seen.setdefault(report.key, here)
        found = source_problems(report.source, forms)
        if found:
            problems += [p.under(here) for p in found]
            continue
        problems += [p.under(here) for p in ReportCheck(report, forms).problems()]
    return problems


class ReportCheck:
    """One report; problem paths relative to it (/dimensions/0/field…)."""

    def __init__(self, report: ReportDef, forms: Mapping[str, Any]):
        self.report, self.scope = report, source_scope(forms, report.source)
        self.found: list[Problem] = []
        self.paths: dict[str, Path] = {}

    def problems(self) -> list[Problem]:
        r = self.report
        self.keys()
        self.condition(r.filter, "/filter")
        for j, d in enumerate(r.dimensions):
            self.dimension(j, d)
        for j, m in enumerate(r.measures):
            self.measure(j, m)
        if not r.measures:
            self.found.append(Problem("/measures", "report_no_measures"))
        names = [m.as_ for m in r.measures]
        dims = [d.as_ for d in r.dimensions]
        for j, metric in enumerate(r.metrics):
            self.expression(lambda: compile_metric(metric.expr, names), f"/metrics/{j}/expr")
            names.append(metric.as_)
            if metric.along and metric.along not in dims:
                self.found.append(Problem(f"/metrics/{j}/along", "report_not_dimension", {"key": metric.along}))
        outputs = set(r.outputs())
        for j, s in enumerate(r.sort):
            if s.by not in outputs:
                self.found.append(Problem(f"/sort/{j}/by", "report_unknown_output", {"key": s.by}))
        if r.pivot is not None:
            self.pivot(dims)
        if r.chart is not None and not self.found:
            columns = output_columns(r, self.paths)
            self.found += [p.under("/chart") for p in chart_problems(r.chart, columns)]
        return self.found

    def keys(self) -> None:
        seen: dict[str, str] = {}
        r = self.report
        parts = [("dimensions", r.dimensions), ("measures", r.measures), ("metrics", r.metrics)]
        for section, items in parts:
            for j, item in enumerate(items):
                where = f"/{section}/{j}/as"
                if item.as_ in seen:
                    self.found.append(Problem(where, "duplicate_key", {"key": item.as_, "other": seen[item.as_]}))
                seen.setdefault(item.as_, f"/{section}/{j}")

    def path(self, text: str, where: str) -> Path | None:
        try:
            path = resolve(self.scope, text)
        except ExprError as e:
            self.found.append(e.problem(where))
            return None
        if any(step.kind in ("subtable", "many") for step in path.steps):
            self.found.append(Problem(where, "report_path_many", {"key": text}))
            return None
        return path

    def condition(self, text: str | None, where: str) -> None:
        if text and text.strip():
            self.expression(lambda: compile_expression(text, self.scope, expect="bool"), where)

    def expression(self, build, where: str):
        try:
            return build()
        except ExprError as e:
            self.found.append(e.problem(where))
            return None

    def dimension(self, j: int, d) -> None:
        here = f"/dimensions/{j}"
        path = self.path(d.field, here + "/field")
        if path is None:
            return
        self.paths[d.as_] = path
        if path.kind not in GROUPABLE and not (path.kind == "list" and getattr(path.field, "type", None) in LISTS):
            self.found.append(Problem(here + "/field", "report_not_groupable", {"key": d.field}))
        if (d.bucket or d.first_by or d.since) and path.kind not in DATES:
            self.found.append(Problem(here + "/bucket", "report_bucket_needs_date", {"key": d.field}))
        if (d.first_by or d.since) and not d.bucket:
            self.found.append(Problem(here + "/bucket", "required"))
        if d.first_by:
            entity = self.path(d.first_by, here + "/first_by")
            if entity is not None and entity.kind != "ref":
                self.found.append(Problem(here + "/first_by", "report_needs_relation", {"key": d.first_by}))
        if d.since:
            cohort = next((x for x in self.report.dimensions if x.as_ == d.since), None)
            if cohort is None or not cohort.first_by or cohort.bucket != d.bucket or cohort.field != d.field:
                self.found.append(Problem(here + "/since", "report_since_cohort", {"key": d.since}))
        if d.first_by and d.since:
            self.found.append(Problem(here + "/since", "report_since_cohort", {"key": d.since}))

    def measure(self, j: int, m) -> None:
        here = f"/measures/{j}"
        if m.field and m.expr:
            self.found.append(Problem(here + "/expr", "report_field_or_expr"))
            return
        kind = None
        if m.field:
            path = self.path(m.field, here + "/field")
            kind = path.kind if path is not None else None
            if path is None:
                return
        elif m.expr:
            compiled = self.expression(lambda: compile_expression(m.expr, self.scope), here + "/expr")
            if compiled is None:
                return
            kind = compiled.type.kind
        elif m.agg != "count":
            self.found.append(Problem(here + "/field", "required"))
            return
        if m.agg in ("sum", "avg", "min", "max") and kind not in NUMERIC | {"null", "any"}:
            self.found.append(Problem(here + ("/field" if m.field else "/expr"), "report_needs_number",
                                      {"agg": m.agg}))
        if m.agg == "count_distinct" and kind not in GROUPABLE:
            self.found.append(Problem(here + "/field", "report_not_groupable", {"key": m.field or m.expr}))
        self.condition(m.filter, here + "/filter")
        self.repeat(here, m, kind)

    def repeat(self, here: str, m, kind: str | None) -> None:
        if m.agg != "repeat_rate":
            for key in ("within_days", "date"):
                if getattr(m, key) is not None:
                    self.found.append(Problem(f"{here}/{key}", "report_only_repeat", {"key": key}))
            return
        if not m.field or kind != "ref":
            self.found.append(Problem(here + "/field", "report_needs_relation", {"key": m.field or ""}))
            return
        if (m.within_days is None) != (m.date is None):
            missing = "date" if m.date is None else "within_days"
            self.found.append(Problem(f"{here}/{missing}", "required"))
            return
        if m.within_days is not None:
            if "." in m.field:
                self.found.append(Problem(here + "/field", "report_own_field", {"key": m.field}))
            date = self.path(m.date, here + "/date")
            if date is not None and (date.kind not in DATES or "." in m.date):
                self.found.append(Problem(here + "/date", "report_own_date", {"key": m.date}))

    def pivot(self, dims: list[str]) -> None:
        pivot = self.report.pivot
        named = pivot.rows + pivot.columns
        for part in ("rows", "columns"):
            for j, key in enumerate(getattr(pivot, part)):
                if key not in dims:
                    self.found.append(Problem(f"/pivot/{part}/{j}", "report_not_dimension", {"key": key}))
        if sorted(named) != sorted(dims):
            self.found.append(Problem("/pivot", "report_pivot_dimensions", {"keys": ", ".join(dims)}))
