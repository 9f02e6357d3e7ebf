"""The chart-type registry: checks a report's `chart` object against the report's columns and shapes a result for
the page. Adding a type is one class plus one entry in TYPES below (and its renderer in frontend/src/charts)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from engines._registry import Registry
from engines.problems import Problem, ProblemsError, pointer
from engines.report.charts.base import ChartBase, ChartType
from engines.report.charts.cartesian import Area, Bar, Combo, Heatmap, HorizontalBar, Line, Scatter, StackedBar
from engines.report.charts.figures import Gauge, Kpi
from engines.report.charts.radar import Radar
from engines.report.charts.shares import Donut, Funnel, Pie
from engines.report.charts.tables import Pivot, Ranking, Table

TYPES: list[ChartType] = [
    Table(), Pivot(), Bar(), StackedBar(), HorizontalBar(), Line(), Area(), Combo(), Pie(), Donut(), Funnel(),
    Kpi(), Gauge(), Scatter(), Radar(), Heatmap(), Ranking(),
]

CHART_TYPES: Registry[ChartType] = Registry("chart type")
for _type in TYPES:
    CHART_TYPES.register(_type)


def parse(chart: Any) -> tuple[ChartType, BaseModel]:
    """The chart's type and its parsed properties, or ProblemsError (pointers relative to the chart object)."""
    if not isinstance(chart, dict):
        raise ProblemsError([Problem("", "not_object")])
    kind = chart.get("type")
    if kind is None:
        raise ProblemsError([Problem("/type", "required")])
    if not isinstance(kind, str) or kind not in CHART_TYPES:
        raise ProblemsError([Problem("/type", "chart_unknown_type",
                                     {"value": kind, "known": ", ".join(CHART_TYPES.keys())})])
    chart_type = CHART_TYPES.get(kind)
    try:
        return chart_type, chart_type.props.model_validate(chart)
    except ValidationError as e:
        raise ProblemsError([_from_pydantic(err) for err in e.errors()]) from None


def chart_problems(chart: Any, columns: list[dict]) -> list[Problem]:
    """Everything wrong with a report's chart object, given the report's result columns."""
    try:
        chart_type, props = parse(chart)
    except ProblemsError as e:
        return e.problems
    return chart_type.check(props, columns)


def shape(chart: Any, columns: list[dict], rows: list[dict], totals: dict | None = None,
          lang: str = "zh-CN") -> dict:
    """The payload the page draws: {"type", "option"} for ECharts types, {"type", …} for table, pivot, kpi and
    ranking. Raises ProblemsError for a chart that `chart_problems` would refuse."""
    chart_type, props = parse(chart)
    return chart_type.shape(props, columns, rows, totals, lang)


def describe() -> list[dict]:
    """The palette of chart types for the report designer."""
    return [t.describe() for t in CHART_TYPES]


# pydantic error types that map one to one onto a problem code
_CODES = {"string_type": "not_text", "list_type": "not_list", "bool_type": "not_bool", "bool_parsing": "not_bool",
          "int_type": "not_integer", "int_parsing": "not_integer", "int_from_float": "not_integer",
          "float_type": "not_number", "float_parsing": "not_number"}


def _from_pydantic(err: dict) -> Problem:
    loc, kind, ctx = err["loc"], err["type"], err.get("ctx", {})
    path = pointer(*loc)
    if kind == "extra_forbidden":
        return Problem(path, "unknown_key", {"key": loc[-1] if loc else ""})
    if kind == "missing":
        return Problem(path, "required")
    if kind == "literal_error":
        return Problem(path, "not_option", {"value": err.get("input"), "options": ctx.get("expected")})
    if kind in ("greater_than_equal", "greater_than"):
        return Problem(path, "too_small", {"limit": ctx.get("ge", ctx.get("gt"))})
    if kind in ("less_than_equal", "less_than"):
        return Problem(path, "too_large", {"limit": ctx.get("le", ctx.get("lt"))})
    if kind == "string_too_long":
        return Problem(path, "too_long", {"limit": ctx.get("max_length")})
    if kind in _CODES:
        return Problem(path, _CODES[kind], {"value": err.get("input")})
    return Problem(path, "schema", {"message": err["msg"]})


__all__ = ["CHART_TYPES", "ChartBase", "ChartType", "TYPES", "chart_problems", "describe", "parse", "shape"]
