"""Charts on two axes: bar, stacked bar, horizontal bar, line, area, bar + line combo, scatter and heatmap."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engines.problems import Problem
from engines.report.charts.base import ChartBase, ChartType, Data, Refs, ident, number, point


class AxisProps(ChartBase):
    x: str | None = Field(default=None, description="dimension along the category axis; default the first")
    y: list[str] = Field(default_factory=list, description="measures drawn, one series each; default all")
    series: str | None = Field(default=None, description="a second dimension: one series per value "
                                                         "(default the report's other dimension, if any)")
    sort: Literal["asc", "desc"] | None = Field(default=None, description="order categories by value; default "
                                                                          "dates and numbers ascending, else "
                                                                          "as the report sorts")
    labels: bool = Field(default=False, description="print each value on the chart")


class StackProps(AxisProps):
    stack: bool = False


class LineProps(StackProps):
    smooth: bool = False


class AxisChart(ChartType):
    """Categories along x, one series per measure, or per value of a second dimension."""

    props: ClassVar[type[ChartBase]] = AxisProps
    series_type: ClassVar[str] = "bar"
    horizontal: ClassVar[bool] = False

    def read(self, chart: Any, refs: Refs) -> dict:
        x = refs.dimension("x", chart.x)
        series = refs.dimension("series", chart.series, taken=[x], required=False)
        if series and len(chart.y) > 1:
            refs.problems.append(Problem("/y/1", "chart_series_one_measure", {"series": series}))
        y = refs.measures("y", chart.y, default=1 if series else None)
        refs.uses_every_dimension([x, series])
        return {"x": x, "y": y, "series": series}

    def extras(self, chart: Any) -> dict:
        """What each series adds to the ECharts series object (stacking, area, smoothing…)."""
        return {"stack": "total"} if getattr(chart, "stack", False) else {}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        x, ys, split = spec["x"], spec["y"], spec["series"]
        cats = data.categories(x)
        if split:
            cells = {}
            for row in data.rows:
                cells.setdefault((ident(row.get(x)), ident(row.get(split))), row)
            lines = [(data.text(split, s), [_point(cells.get((ident(c), ident(s))), ys[0]) for c in cats])
                     for s in data.categories(split)]
        else:
            by_x: dict = {}
            for row in data.rows:
                by_x.setdefault(ident(row.get(x)), row)
            lines = [(data.columns.label(y), [_point(by_x.get(ident(c)), y) for c in cats]) for y in ys]
        if chart.sort:
            order = sorted(range(len(cats)), key=lambda i: sum(_value(line[i]) or 0 for _, line in lines),
                           reverse=chart.sort == "desc")
            cats = [cats[i] for i in order]
            lines = [(name, [line[i] for i in order]) for name, line in lines]
        category = {"type": "category", "name": data.columns.label(x), "data": [data.text(x, c) for c in cats]}
        value: dict = {"type": "value"}
        if len(ys) == 1:
            value["name"] = data.columns.label(ys[0])
        extras = self.extras(chart)
        series = []
        for name, line in lines:
            item = {"type": self.series_type, "name": name, "data": line, **extras}
            if chart.labels:
                item["label"] = {"show": True, "position": "inside" if "stack" in extras else
                                 ("right" if self.horizontal else "top")}
            series.append(item)
        option: dict = {"tooltip": {"trigger": "axis"}, "series": series}
        if self.horizontal:
            option.update(xAxis=value, yAxis={**category, "inverse": True})  # first row on top, as in a list
        else:
            option.update(xAxis=category, yAxis=value)
        if len(series) > 1:
            option["legend"] = {"data": [s["name"] for s in series]}
        return {"option": option}


def _point(row: dict | None, key: str) -> Any:
    return point(number(row.get(key)), row) if row is not None else None


def _value(item: Any) -> Any:
    return item["value"] if isinstance(item, dict) else item


class Bar(AxisChart):
    key = "bar"
    label = ("柱状图", "Bar")
    icon = "BarChartOutlined"
    props = StackProps


class StackedBar(AxisChart):
    key = "stacked_bar"
    label = ("堆叠柱状图", "Stacked bar")
    icon = "BarChartOutlined"
    props = AxisProps

    def extras(self, chart: Any) -> dict:
        return {"stack": "total"}


class HorizontalBar(AxisChart):
    key = "horizontal_bar"
    label = ("条形图", "Horizontal bar")
    icon = "BarsOutlined"
    props = StackProps
    horizontal = True


class Line(AxisChart):
    key = "line"
    label = ("折线图", "Line")
    icon = "LineChartOutlined"
    props = LineProps
    series_type = "line"

    def extras(self, chart: Any) -> dict:
        return {**super().extras(chart), **({"smooth": True} if chart.smooth else {})}


class Area(Line):
    key = "area"
    label = ("面积图", "Area")
    icon = "AreaChartOutlined"

    def extras(self, chart: Any) -> dict:
        return {**super().extras(chart), "areaStyle": {}}


class ComboProps(ChartBase):
    x: str | None = Field(default=None, description="dimension along the category axis; default the first")
    y: list[str] = Field(default_factory=list, description="measures drawn as bars on the left axis; default "
                                                           "the first")
    y2: list[str] = Field(default_factory=list, description="measures drawn as lines on the right axis; default "
                                                            "the second")
    labels: bool = False


class Combo(ChartType):
    key = "combo"
    label = ("柱线组合图", "Bar + line")
    icon = "FundOutlined"
    props = ComboProps

    def read(self, chart: Any, refs: Refs) -> dict:
        x = refs.dimension("x", chart.x)
        bars = refs.measures("y", chart.y, default=1)
        lines = refs.measures("y2", chart.y2) if chart.y2 else \
            [k for k in [refs.measure("y2", None, skip=bars)] if k]
        refs.uses_every_dimension([x])
        return {"x": x, "bars": bars, "lines": lines}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        x = spec["x"]
        cats = data.categories(x)
        by_x: dict = {}
        for row in data.rows:
            by_x.setdefault(ident(row.get(x)), row)
        label = {"label": {"show": True, "position": "top"}} if chart.labels else {}
        series = [{"type": "bar", "name": data.columns.label(y), "yAxisIndex": 0, **label,
                   "data": [_point(by_x.get(ident(c)), y) for c in cats]} for y in spec["bars"]]
        series += [{"type": "line", "name": data.columns.label(y), "yAxisIndex": 1, **label,
                    "data": [_point(by_x.get(ident(c)), y) for c in cats]} for y in spec["lines"]]
        option = {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [s["name"] for s in series]},
            "xAxis": {"type": "category", "name": data.columns.label(x), "data": [data.text(x, c) for c in cats]},
            "yAxis": [{"type": "value", "name": " / ".join(data.columns.label(y) for y in spec["bars"])},
                      {"type": "value", "name": " / ".join(data.columns.label(y) for y in spec["lines"]),
                       "splitLine": {"show": False}}],
            "series": series,
        }
        return {"option": option}


class ScatterProps(ChartBase):
    x: str | None = Field(default=None, description="measure along the horizontal axis; default the first")
    y: list[str] = Field(default_factory=list, description="the measure along the vertical axis; default the second")
    size: str | None = Field(default=None, description="a measure setting each bubble's size")
    name: str | None = Field(default=None, description="dimension naming each point; default the first")
    series: str | None = Field(default=None, description="dimension colouring points, one series per value")


class Scatter(ChartType):
    key = "scatter"
    label = ("散点图", "Scatter")
    icon = "DotChartOutlined"
    props = ScatterProps
    smallest, largest = 8, 40  # bubble diameters in pixels

    def read(self, chart: Any, refs: Refs) -> dict:
        x = refs.measure("x", chart.x)
        y = next(iter(refs.measures("y", chart.y, most=1)), None) if chart.y else refs.measure("y", None, skip=[x])
        size = refs.measure("size", chart.size) if chart.size else None
        series = refs.dimension("series", chart.series, default=False, required=False)
        name = refs.dimension("name", chart.name, taken=[series], required=False)
        return {"x": x, "y": y, "size": size, "name": name, "series": series}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        x, y, size, name, split = spec["x"], spec["y"], spec["size"], spec["name"], spec["series"]
        biggest = max((abs(number(r.get(size)) or 0) for r in data.rows), default=0) if size else 0
        groups = data.categories(split) if split else [None]
        series = []
        for group in groups:
            points = []
            for row in data.rows:
                if split and ident(row.get(split)) != ident(group):
                    continue
                item: dict = {"value": [number(row.get(x)), number(row.get(y))]}
                if name:
                    item["name"] = data.text(name, row.get(name))
                if size:
                    share = abs(number(row.get(size)) or 0) / biggest if biggest else 0
                    item["value"].append(number(row.get(size)))
                    item["symbolSize"] = round(self.smallest + share * (self.largest - self.smallest), 1)
                if row.get("_drill"):
                    item["drill"] = row["_drill"]
                points.append(item)
            series.append({"type": "scatter", "name": data.text(split, group) if split else data.columns.label(y),
                           "data": points})
        option: dict = {
            "tooltip": {"trigger": "item"},
            "xAxis": {"type": "value", "name": data.columns.label(x), "scale": True},
            "yAxis": {"type": "value", "name": data.columns.label(y), "scale": True},
            "series": series,
        }
        if split:
            option["legend"] = {"data": [s["name"] for s in series]}
        return {"option": option}


class HeatmapProps(ChartBase):
    x: str | None = Field(default=None, description="dimension along the horizontal axis (e.g. hour); default "
                                                     "the first")
    y: str | None = Field(default=None, description="dimension along the vertical axis (e.g. weekday); default "
                                                     "the second")
    value: str | None = Field(default=None, description="measure colouring each cell; default the first")
    labels: bool = False


class Heatmap(ChartType):
    key = "heatmap"
    label = ("热力图", "Heatmap")
    icon = "HeatMapOutlined"
    props = HeatmapProps

    def read(self, chart: Any, refs: Refs) -> dict:
        x = refs.dimension("x", chart.x)
        y = refs.dimension("y", chart.y, taken=[x])
        value = refs.measure("value", chart.value)
        refs.uses_every_dimension([x, y])
        return {"x": x, "y": y, "value": value}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        x, y, key = spec["x"], spec["y"], spec["value"]
        xs, ys = data.categories(x), data.categories(y)
        xi = {ident(v): i for i, v in enumerate(xs)}
        yi = {ident(v): i for i, v in enumerate(ys)}
        cells, values = [], []
        for row in data.rows:
            v = number(row.get(key))
            if v is not None:
                values.append(v)
            cell = [xi[ident(row.get(x))], yi[ident(row.get(y))], v if v is not None else "-"]
            cells.append({"value": cell, "drill": row["_drill"]} if row.get("_drill") else cell)
        low, high = (min(values), max(values)) if values else (0, 0)
        option = {
            "tooltip": {"position": "top"},
            "xAxis": {"type": "category", "name": data.columns.label(x), "data": [data.text(x, v) for v in xs],
                      "splitArea": {"show": True}},
            "yAxis": {"type": "category", "name": data.columns.label(y), "data": [data.text(y, v) for v in ys],
                      "splitArea": {"show": True}},
            "visualMap": {"min": low, "max": high if high > low else low + 1, "calculable": True,
                          "orient": "horizontal", "left": "center", "bottom": 0},
            "series": [{"type": "heatmap", "name": data.columns.label(key), "data": cells,
                        "label": {"show": chart.labels}}],
        }
        return {"option": option}
