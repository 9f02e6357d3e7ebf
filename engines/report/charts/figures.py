"""One number: a KPI card compared with the previous period, and a gauge against a range or target.
Without a period dimension the number is the report's grand total (`totals`, or its only row)."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from engines.problems import Problem
from engines.report.charts.base import ChartBase, ChartType, Data, Refs, nice_ceiling, number, order_key


class KpiProps(ChartBase):
    value: str | None = Field(default=None, description="the measure shown; default the first")
    previous: str | None = Field(default=None, description="a measure holding the value to compare with, e.g. "
                                                           "last month's GMV")
    x: str | None = Field(default=None, description="a date or number dimension: the latest value is compared "
                                                    "with the one before; default the first such dimension")


class GaugeProps(ChartBase):
    value: str | None = Field(default=None, description="the measure shown; default the first")
    min: float = 0
    max: float | None = Field(default=None, description="default the target, or a round number above the value")
    target: float | None = None


def _total(data: Data, key: str) -> Any:
    if data.totals:
        return number(data.totals.get(key))
    return number(data.rows[0].get(key)) if len(data.rows) == 1 else None


class Kpi(ChartType):
    key = "kpi"
    label = ("指标卡", "KPI card")
    icon = "NumberOutlined"
    props = KpiProps
    echarts = False

    def read(self, chart: Any, refs: Refs) -> dict:
        value = refs.measure("value", chart.value)
        previous = refs.measure("previous", chart.previous) if chart.previous else None
        if chart.x is not None:
            x = refs.dimension("x", chart.x)
            if x and not refs.columns.ordered(x):
                refs.problems.append(Problem("/x", "chart_needs_ordered", {"key": x}))
        else:
            x = next((k for k in refs.columns.dimensions() if refs.columns.ordered(k)), None)
        if x:
            refs.uses_every_dimension([x])
        return {"value": value, "previous": previous, "x": x}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        key, before, x = spec["value"], spec["previous"], spec["x"]
        payload: dict = {"label": data.columns.label(key), "value_type": data.columns.type(key)}
        if data.columns.head(key).get("format"):
            payload["format"] = data.columns.head(key)["format"]
        if x:
            rows = sorted((r for r in data.rows if r.get(x) not in (None, "")), key=lambda r: order_key(r.get(x)))
            current = rows[-1] if rows else {}
            value = number(current.get(key))
            payload["period"] = data.text(x, current.get(x)) if rows else None
            if before:
                previous = number(current.get(before))
            else:
                previous = number(rows[-2].get(key)) if len(rows) > 1 else None
                payload["previous_period"] = data.text(x, rows[-2].get(x)) if len(rows) > 1 else None
            payload["trend"] = [{"name": data.text(x, r.get(x)), "value": number(r.get(key))} for r in rows]
            if current.get("_drill"):
                payload["drill"] = current["_drill"]
        else:
            value = _total(data, key)
            previous = _total(data, before) if before else None
        if before:
            payload["previous_label"] = data.columns.label(before)
        payload.update(value=value, previous=previous, change=change(value, previous))
        return payload


def change(value: float | None, previous: float | None) -> float | None:
    """The relative change from `previous` to `value` (0.25 = +25%); none from a blank or zero base."""
    if value is None or previous is None or previous == 0:
        return None
    return round((value - previous) / abs(previous), 4)


class Gauge(ChartType):
    key = "gauge"
    label = ("仪表盘", "Gauge")
    icon = "DashboardOutlined"
    props = GaugeProps

    def read(self, chart: Any, refs: Refs) -> dict:
        if chart.max is not None and chart.min >= chart.max:
            refs.problems.append(Problem("/max", "bad_range", {"min": chart.min, "max": chart.max}))
        return {"value": refs.measure("value", chart.value)}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        key = spec["value"]
        value = _total(data, key)
        top = chart.max
        if top is None:
            top = chart.target if chart.target is not None and chart.target > chart.min else \
                nice_ceiling(max(value or 0, chart.min + 1))
        series: dict = {"type": "gauge", "name": data.columns.label(key), "min": chart.min, "max": top,
                        "progress": {"show": True}, "detail": {"valueAnimation": True, "formatter": "{value}"},
                        "data": [{"name": data.columns.label(key), "value": value}]}
        payload: dict = {"value": value}
        if chart.target is not None:
            # tint the arc from the target to the end, so the gap left shows at a glance
            share = min(max((chart.target - chart.min) / (top - chart.min), 0), 1)
            series["axisLine"] = {"lineStyle": {"color": [[round(share, 4), "#E6EBF8"], [1, "#D9F7BE"]]}}
            payload.update(target=chart.target, progress=round(value / chart.target, 4)
                           if value is not None and chart.target else None)
        payload["option"] = {"tooltip": {"formatter": "{b}: {c}"}, "series": [series]}
        return payload
