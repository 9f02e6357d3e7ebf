"""The report engine without a database: validation by JSON pointer, metrics, bucket periods, and the shape of
the compiled SQL (one plain GROUP BY for a plain report)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from builder.validate import validate_app
from engines.expr import EvalContext, ExprError
from engines.problems import ProblemsError
from engines.report.buckets import period
from engines.report.compile import compile_report
from engines.report.definition import ReportDef
from engines.report.metrics import compile_metric
from engines.form.fields import field_type
from engines.report.source import parent_condition, row_source
from runtime.tables import build_schema
from runtime.models import users
from tests.runtime.report_app import HOT, TAGS, app, rows_app


def problems(*reports, **sections) -> list[tuple[str, str]]:
    with pytest.raises(ProblemsError) as e:
        validate_app(app(*reports, **sections))
    return [(p.path, p.code) for p in e.value.problems]


def report(**parts) -> dict:
    return {"key": "r", "name": "R", "source": "order", "measures": [{"agg": "count", "as": "n"}], **parts}


CASES = {
    "unknown dimension field": (report(dimensions=[{"field": "colour", "as": "c"}]),
                                [("/reports/0/dimensions/0/field", "expr_unknown_field")]),
    "through a relation, unknown at the end": (report(dimensions=[{"field": "customer.age", "as": "c"}]),
                                               [("/reports/0/dimensions/0/field", "expr_unknown_field")]),
    "duplicate output key": (report(dimensions=[{"field": "status", "as": "n"}]),
                             [("/reports/0/measures/0/as", "duplicate_key")]),
    "bucket on text": (report(dimensions=[{"field": "no", "bucket": "week", "as": "w"}]),
                       [("/reports/0/dimensions/0/bucket", "report_bucket_needs_date")]),
    "unknown bucket": (report(dimensions=[{"field": "paid_at", "bucket": "decade", "as": "w"}]),
                       [("/reports/0/dimensions/0/bucket", "schema")]),
    "sum of text": (report(measures=[{"agg": "sum", "field": "no", "as": "s"}]),
                    [("/reports/0/measures/0/field", "report_needs_number")]),
    "sum without a field": (report(measures=[{"agg": "sum", "as": "s"}]),
                            [("/reports/0/measures/0/field", "required")]),
    "unknown aggregation": (report(measures=[{"agg": "median", "field": "amount", "as": "s"}]),
                            [("/reports/0/measures/0/agg", "schema")]),
    "bad measure filter": (report(measures=[{"agg": "count", "as": "n", "filter": "amount + 1"}]),
                           [("/reports/0/measures/0/filter", "expr_not_condition")]),
    "repeat rate of a number": (report(measures=[{"agg": "repeat_rate", "field": "amount", "as": "r"}]),
                                [("/reports/0/measures/0/field", "report_needs_relation")]),
    "N days without a date": (report(measures=[{"agg": "repeat_rate", "field": "customer", "as": "r",
                                                "within_days": 30}]), [("/reports/0/measures/0/date", "required")]),
    "metric of an unknown measure": (report(metrics=[{"as": "m", "expr": "n / gmv"}]),
                                     [("/reports/0/metrics/0/expr", "expr_unknown_field")]),
    "metric of text": (report(metrics=[{"as": "m", "expr": "'x'"}]),
                       [("/reports/0/metrics/0/expr", "expr_wrong_result")]),
    "metric along a measure": (report(metrics=[{"as": "m", "expr": "PREVIOUS(n)", "along": "n"}]),
                               [("/reports/0/metrics/0/along", "report_not_dimension")]),
    "sort by nothing": (report(sort=[{"by": "ghost"}]), [("/reports/0/sort/0/by", "report_unknown_output")]),
    "pivot leaves a dimension out": (report(dimensions=[{"field": "status", "as": "s"}, {"field": "leader", "as": "l"}],
                                            pivot={"rows": ["s"], "columns": ["ghost"]}),
                                     [("/reports/0/pivot", "report_pivot_dimensions"),
                                      ("/reports/0/pivot/columns/0", "report_not_dimension")]),
    "since a non-cohort": (report(dimensions=[{"field": "paid_at", "bucket": "month", "as": "m"},
                                              {"field": "paid_at", "bucket": "month", "since": "m", "as": "age"}]),
                           [("/reports/0/dimensions/1/since", "report_since_cohort")]),
    "chart of an unknown column": (report(chart={"type": "bar", "x": "ghost"}), [("/reports/0/chart/x", None)]),
    "unknown key": (report(colour="red"), [("/reports/0/colour", "unknown_key")]),
}


@pytest.mark.parametrize("definition, expected", list(CASES.values()), ids=list(CASES))
def test_bad_reports_are_refused_with_their_place(definition, expected):
    found = problems(definition)
    if expected[0][1] is None:  # the chart registry owns its codes: only the place is ours
        assert [path for path, _ in found] == [path for path, _ in expected]
    else:
        assert found == expected


def test_dashboards_are_checked_against_the_reports_and_menus_against_the_dashboards():
    board = {"key": "main", "name": "看板", "widgets": [{"report": "ghost"}]}
    assert problems(report(), dashboards=[board]) == [("/dashboards/0/widgets/0/report", "dashboard_unknown_report")]
    assert problems(report(), dashboards=[board | {"widgets": [{"report": "r"}]}],
                    menus=[{"label": "看板", "dashboard": "other"}]) == [("/menus/0/dashboard", "unknown_dashboard")]


def test_a_good_report_passes():
    validate_app(app(report(dimensions=[{"field": "customer.leader", "as": "leader"}],
                            measures=[{"agg": "sum", "field": "amount", "as": "gmv"}, {"agg": "count", "as": "n"}],
                            metrics=[{"as": "aov", "expr": "ROUND(gmv / n, 2)"}], chart={"type": "bar"})))


def test_metric_functions_type_check():
    assert compile_metric("gmv / PREVIOUS(gmv) - 1", ["gmv"]).type.kind == "number"
    with pytest.raises(ExprError):
        compile_metric("TOTAL('x')", ["gmv"])


@pytest.mark.parametrize("label, bucket, first, after", [
    ("2026-03-05", "day", date(2026, 3, 5), date(2026, 3, 6)),
    ("2026-03-02", "week", date(2026, 3, 2), date(2026, 3, 9)),
    ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
    ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
])
def test_bucket_periods(label, bucket, first, after):
    assert period(label, bucket) == (first, after)


class _Catalog:
    """The compiler's view of the test app (sub-tables included), every row visible."""

    def __init__(self, doc: dict | None = None):
        definition = validate_app(doc or app())
        forms, fields = [], []

        def add(key, own_fields):
            forms.append(_Row(id=len(forms) + 1, key=key))
            form_id = len(forms)
            for f in own_fields:
                fields.append(_Row(id=len(fields) + 1, form_id=form_id, key=f.key,
                                   storage=field_type(f.type).storage_for(f)))
                if f.type == "subtable":
                    add(f"{key}.{f.key}", f.fields)

        for form in definition.forms:
            add(form.key, form.fields)
        self.schema = build_schema(1, "shop", 1, definition, forms, fields)
        self.forms = {f.key: f for f in definition.forms}
        self.users = users

    def table(self, form):
        return self.schema.forms[form].table

    def column_name(self, form, field):
        return self.schema.forms[form].fields[field].column.name

    def link(self, form, field):
        return None

    def title_column(self, form):
        store = self.schema.forms[form]
        return store.fields[store.definition.title_key()].column.name

    def rows(self, form, table):
        return None


class _Row:
    def __init__(self, **values):
        self.retired, self.__dict__ = False, {"retired": False, **values}


CTX = EvalContext(now=datetime(2026, 3, 1, tzinfo=timezone.utc), tz=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("dialect, name", [(sqlite.dialect(), "sqlite"), (postgresql.dialect(), "postgresql")])
def test_a_plain_report_is_one_grouped_select_with_joins(dialect, name):
    definition = ReportDef.model_validate(report(
        filter="status = 'paid'", dimensions=[{"field": "customer.leader", "as": "leader"}],
        measures=[{"agg": "sum", "field": "amount", "as": "gmv"}], sort=[{"by": "gmv", "desc": True}], limit=10))
    sql = str(compile_report(definition, _Catalog(), CTX, name).statement.compile(dialect=dialect))
    assert sql.count("SELECT") == 1 and sql.count("LEFT OUTER JOIN") == 2
    assert "GROUP BY" in sql and "LIMIT" in sql and "OVER" not in sql


@pytest.mark.parametrize("dialect, name", [(sqlite.dialect(), "sqlite"), (postgresql.dialect(), "postgresql")])
def test_sub_table_rows_join_their_parent_once_by_parent_id(dialect, name):
    catalog = _Catalog(rows_app())
    definition = ReportDef.model_validate({**HOT, "totals": False, "dimensions": [
        {"field": "product", "as": "product"}, {"field": "order.leader", "as": "leader"}]})
    sql = str(compile_report(definition, catalog, CTX, name).statement.compile(dialect=dialect))
    lines, order = catalog.table("order.lines").name, catalog.table("order").name
    assert sql.count("SELECT") == 1 and sql.count(f"JOIN {order} ") == 1
    assert f"ON j1.id = {lines}.parent_id" in sql or f"ON j2.id = {lines}.parent_id" in sql


@pytest.mark.parametrize("dialect, name, unnest", [(sqlite.dialect(), "sqlite", "json_each"),
                                                   (postgresql.dialect(), "postgresql", "jsonb_array_elements_text")])
def test_a_tag_dimension_joins_the_items_of_the_list(dialect, name, unnest):
    definition = ReportDef.model_validate(TAGS)
    plan = compile_report(definition, _Catalog(rows_app()), CTX, name)
    sql = str(plan.statement.compile(dialect=dialect))
    levels = sql.split("UNION ALL")
    assert len(levels) == 2 and unnest in levels[0] and unnest not in levels[1]  # the total counts records once


def test_drill_down_of_rows_selects_parent_records_with_such_a_row():
    forms = {f.key: f for f in validate_app(rows_app()).forms}
    rows = row_source("order.lines")
    found = parent_condition(["order.status = 'paid'", "product = 5", "FORMAT_DATE(order.paid_at, 'YYYY') = '2026'",
                              "qty > 1", "order = 7"], forms, rows)
    assert found == ("(status = 'paid') AND (FORMAT_DATE(paid_at, 'YYYY') = '2026') AND (id = 7) AND "
                     "SUM(IF((lines.product = 5) AND (lines.qty > 1), 1, 0)) > 0")


ROW_CASES = {
    "not a sub-table": (report(source="order.amount"), [("/reports/0/source", "report_not_subtable")]),
    "unknown parent form": (report(source="nothing.lines"), [("/reports/0/source", "unknown_form")]),
    "a parent field without the parent's name": (report(source="order.lines", filter="status = 'paid'"),
                                                 [("/reports/0/filter", "expr_unknown_field")]),
    "a list dimension that is not tags": (report(source="customer", dimensions=[{"field": "tags", "as": "t"}],
                                                 measures=[{"agg": "count_distinct", "field": "tags", "as": "n"}]),
                                          [("/reports/0/measures/0/field", "report_not_groupable")]),
}


@pytest.mark.parametrize("definition, expected", list(ROW_CASES.values()), ids=list(ROW_CASES))
def test_bad_row_and_list_reports_are_refused_with_their_place(definition, expected):
    doc = rows_app()
    doc["reports"] = [definition]
    with pytest.raises(ProblemsError) as e:
        validate_app(doc)
    assert [(p.path, p.code) for p in e.value.problems] == expected


def test_the_parent_name_may_not_be_a_row_field():
    doc = rows_app()
    order = next(f for f in doc["forms"] if f["key"] == "order")
    lines = next(f for f in order["fields"] if f["key"] == "lines")
    lines["fields"].append({"key": "order", "type": "text"})
    doc["reports"] = [report(source="order.lines")]
    with pytest.raises(ProblemsError) as e:
        validate_app(doc)
    assert [(p.path, p.code) for p in e.value.problems] == [("/reports/0/source", "report_parent_name_taken")]
