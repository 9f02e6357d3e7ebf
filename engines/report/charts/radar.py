"""Radar: with three or more measures, one axis per measure and one shape per value of x (compare leaders on
GMV, orders, buyers…); with one measure, one axis per value of x and one shape per value of `series`."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from engines.problems import Problem
from engines.report.charts.base import ChartBase, ChartType, Data, Refs, ident, nice_ceiling, number


class RadarProps(ChartBase):
    x: str | None = Field(default=None, description="dimension: a shape per value (several measures) or an axis "
                                                    "per value (one measure); default the first")
    y: list[str] = Field(default_factory=list, description="one measure, or three or more; default all")
    series: str | None = Field(default=None, description="with one measure: a shape per value of this dimension")
    area: bool = Field(default=False, description="fill the shapes")


class Radar(ChartType):
    key = "radar"
    label = ("雷达图", "Radar")
    icon = "RadarChartOutlined"
    props = RadarProps

    def read(self, chart: Any, refs: Refs) -> dict:
        x = refs.dimension("x", chart.x)
        y = refs.measures("y", chart.y)
        if len(chart.y or y) == 2:
            refs.problems.append(Problem("/y", "chart_radar_axes"))
        series = None
        if len(y) == 1:
            series = refs.dimension("series", chart.series, taken=[x], required=False)
        elif chart.series:
            refs.problems.append(Problem("/series", "chart_radar_series"))
        refs.uses_every_dimension([x, series])
        return {"x": x, "y": y, "series": series}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        x, ys, split = spec["x"], spec["y"], spec["series"]
        if len(ys) == 1:
            axes = data.categories(x)
            groups = data.categories(split) if split else [None]
            cells = {(ident(r.get(x)), ident(r.get(split)) if split else None): r for r in data.rows}
            names = [data.text(x, a) for a in axes]
            shapes = [{"name": data.text(split, g) if split else data.columns.label(ys[0]),
                       "value": [number(cells.get((ident(a), ident(g)), {}).get(ys[0])) for a in axes]}
                      for g in groups]
        else:
            names = [data.columns.label(y) for y in ys]
            shapes = [{"name": data.text(x, row.get(x)), "value": [number(row.get(y)) for y in ys],
                       **({"drill": row["_drill"]} if row.get("_drill") else {})} for row in data.rows]
        tops = [max([abs(s["value"][i]) for s in shapes if s["value"][i] is not None] or [0])
                for i in range(len(names))]
        option: dict = {
            "tooltip": {"trigger": "item"},
            "legend": {"data": [s["name"] for s in shapes]},
            "radar": {"indicator": [{"name": n, "max": nice_ceiling(t)} for n, t in zip(names, tops)]},
            "series": [{"type": "radar", "data": shapes, **({"areaStyle": {}} if chart.area else {})}],
        }
        return {"option": option}
