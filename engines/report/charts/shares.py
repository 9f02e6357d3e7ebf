"""Parts of a whole and stages of a process: pie, donut and funnel. Slices are the values of one dimension with one
measure, or, when the report has no dimension, its measures themselves (paid vs refunded; visits → orders)."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engines.report.charts.base import ChartBase, ChartType, Data, Refs, number

PIE_LABELS = {"name": "{b}", "value": "{b}: {c}", "percent": "{b}: {d}%"}


class SliceProps(ChartBase):
    x: str | None = Field(default=None, description="dimension naming the slices; default the first")
    y: list[str] = Field(default_factory=list, description="the measure sizing the slices; without a dimension, "
                                                           "the measures that are the slices")


class PieProps(SliceProps):
    labels: Literal["name", "value", "percent", "none"] = "percent"


class FunnelProps(SliceProps):
    sort: Literal["desc", "asc", "none"] = Field(default="desc", description="widest stage first, last, or as "
                                                                             "the report orders them")
    labels: bool = True


class SliceChart(ChartType):
    props: ClassVar[type[ChartBase]] = SliceProps

    def read(self, chart: Any, refs: Refs) -> dict:
        if chart.x is None and not refs.columns.dimensions():
            return {"x": None, "y": refs.measures("y", chart.y)}
        x = refs.dimension("x", chart.x)
        y = refs.measures("y", chart.y, most=1, default=1)
        refs.uses_every_dimension([x])
        return {"x": x, "y": y}

    def slices(self, spec: dict, data: Data) -> list[dict]:
        x, ys = spec["x"], spec["y"]
        if x is None:  # one slice per measure, from the grand totals or the only row
            source = data.totals if data.totals else (data.rows[0] if data.rows else {})
            return [{"name": data.columns.label(y), "value": number(source.get(y))} for y in ys
                    if number(source.get(y)) is not None]
        found = []
        for row in data.rows:
            value = number(row.get(ys[0])) if ys else None
            if value is None:
                continue
            item = {"name": data.text(x, row.get(x)), "value": value}
            if row.get("_drill"):
                item["drill"] = row["_drill"]
            found.append(item)
        return found

    def title(self, spec: dict, data: Data) -> str:
        return data.columns.label(spec["y"][0]) if spec["x"] and spec["y"] else ""


class Pie(SliceChart):
    key = "pie"
    label = ("饼图", "Pie")
    icon = "PieChartOutlined"
    props = PieProps
    radius: ClassVar[Any] = "65%"

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        slices = self.slices(spec, data)
        label = {"show": False} if chart.labels == "none" else {"show": True, "formatter": PIE_LABELS[chart.labels]}
        option = {
            "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
            "legend": {"type": "scroll", "bottom": 0, "data": [s["name"] for s in slices]},
            "series": [{"type": "pie", "name": self.title(spec, data), "radius": self.radius, "data": slices,
                        "label": label}],
        }
        return {"option": option}


class Donut(Pie):
    key = "donut"
    label = ("环形图", "Donut")
    icon = "PieChartOutlined"
    radius = ["40%", "65%"]


class Funnel(SliceChart):
    key = "funnel"
    label = ("漏斗图", "Funnel")
    icon = "FunnelPlotOutlined"
    props = FunnelProps
    sorts = {"desc": "descending", "asc": "ascending", "none": "none"}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        slices = self.slices(spec, data)
        option = {
            "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
            "legend": {"data": [s["name"] for s in slices]},
            "series": [{"type": "funnel", "name": self.title(spec, data), "sort": self.sorts[chart.sort],
                        "data": slices, "label": {"show": chart.labels, "formatter": "{b}: {c}"}}],
        }
        return {"option": option}
