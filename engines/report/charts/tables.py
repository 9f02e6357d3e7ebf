"""Charts the page draws with antd rather than ECharts: the plain table, the pivot table and the top-N ranking."""
from __future__ import annotations

from typing import Any, Callable

from pydantic import Field

from engines.problems import Problem, pointer
from engines.report.charts.base import ChartBase, ChartType, Data, Refs, ident, number, order_key, plain


class TableProps(ChartBase):
    columns: list[str] = Field(default_factory=list, description="the report columns shown, in order; default all")


class Table(ChartType):
    key = "table"
    label = ("明细表", "Table")
    icon = "TableOutlined"
    props = TableProps
    echarts = False

    def read(self, chart: Any, refs: Refs) -> dict:
        known = refs.columns.by_key
        for i, key in enumerate(chart.columns):
            if key not in known:
                refs.problems.append(Problem(pointer("columns", i), "chart_unknown_column",
                                             {"key": key, "known": ", ".join(known)}))
        return {"columns": [k for k in chart.columns if k in known] or list(known)}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        keys = spec["columns"]
        rows = []
        for row in data.rows:
            item = {k: plain(row.get(k)) for k in keys}
            if row.get("_drill"):
                item["_drill"] = row["_drill"]
            rows.append(item)
        totals = {k: plain(data.totals[k]) for k in keys if k in data.totals} if data.totals else None
        return {"columns": [data.columns.head(k) for k in keys], "rows": rows, "totals": totals}


class PivotProps(ChartBase):
    rows: list[str] = Field(default_factory=list, description="dimensions down the side; default the first")
    columns: list[str] = Field(default_factory=list, description="dimensions across the top; default the others")
    values: list[str] = Field(default_factory=list, description="measures in each cell; default all")
    totals: bool = Field(default=True, description="add row, column and grand totals")


# How a subtotal is made from the cells' values, by the measure's aggregation. Averages, distinct counts and
# calculated metrics cannot be added up from their parts, so their subtotals stay blank (the grand total still
# comes from the report's own `totals`).
COMBINE: dict[str, Callable[[list[float]], float]] = {"sum": sum, "count": sum, "min": min, "max": max}


class Pivot(ChartType):
    key = "pivot"
    label = ("透视表", "Pivot table")
    icon = "InsertRowBelowOutlined"
    props = PivotProps
    echarts = False

    def read(self, chart: Any, refs: Refs) -> dict:
        if chart.rows:
            rows = refs.dimensions("rows", chart.rows)
        else:
            rows = [k for k in [refs.dimension("rows", None)] if k]
        if chart.columns:
            columns = refs.dimensions("columns", chart.columns)
            for i, key in enumerate(chart.columns):
                if key in rows:
                    refs.problems.append(Problem(pointer("columns", i), "chart_same_column", {"key": key}))
            columns = [k for k in columns if k not in rows]
        else:
            columns = [k for k in refs.columns.dimensions() if k not in rows]
        values = refs.measures("values", chart.values)
        refs.uses_every_dimension(rows + columns)
        return {"rows": rows, "columns": columns, "values": values}

    def headers(self, keys: list[str], data: Data) -> list[tuple]:
        """Distinct value combinations of `keys` (ident, raw values): dates and numbers in their order, other
        values as the report sorts them, nested under the dimensions before them."""
        raw: dict[tuple, tuple] = {}
        seen: dict[tuple, int] = {}  # every prefix of a combination, by first appearance
        for row in data.rows:
            combo = tuple(ident(row.get(k)) for k in keys)
            raw.setdefault(combo, tuple(row.get(k) for k in keys))
            for i in range(1, len(keys) + 1):
                seen.setdefault(combo[:i], len(seen))

        def sort_key(combo: tuple) -> tuple:
            return tuple(order_key(raw[combo][i]) if data.columns.ordered(k) else (seen[combo[:i + 1]],)
                         for i, k in enumerate(keys))
        return [(combo, raw[combo]) for combo in sorted(raw, key=sort_key)]

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        rdims, cdims, measures = spec["rows"], spec["columns"], spec["values"]
        row_heads, col_heads = self.headers(rdims, data), self.headers(cdims, data)
        at = {}
        for row in data.rows:
            at.setdefault((tuple(ident(row.get(k)) for k in rdims), tuple(ident(row.get(k)) for k in cdims)), row)
        cells = [[[number(at[r, c].get(m)) for m in measures] if (r, c) in at else None for c, _ in col_heads]
                 for r, _ in row_heads]
        payload: dict = {
            "row_fields": [data.columns.head(k) for k in rdims],
            "column_fields": [data.columns.head(k) for k in cdims],
            "values": [data.columns.head(m) for m in measures],
            "row_headers": [[data.text(k, v) for k, v in zip(rdims, raw)] for _, raw in row_heads],
            "column_headers": [[data.text(k, v) for k, v in zip(cdims, raw)] for _, raw in col_heads],
            "cells": cells,
        }
        if any(row.get("_drill") for row in data.rows):
            payload["drill"] = [[at[r, c].get("_drill") if (r, c) in at else None for c, _ in col_heads]
                                for r, _ in row_heads]
        if chart.totals:
            combine = [COMBINE.get(data.columns.by_key[m].get("agg")) for m in measures]

            def total(parts: list[list | None]) -> list:
                return [fold([p[i] for p in parts if p is not None], f) for i, f in enumerate(combine)]
            if cdims:
                payload["row_totals"] = [total(line) for line in cells]
            payload["column_totals"] = [total([line[j] for line in cells]) for j in range(len(col_heads))]
            grand = total([cell for line in cells for cell in line])
            if data.totals:
                grand = [number(data.totals[m]) if m in data.totals else g for m, g in zip(measures, grand)]
            payload["grand_total"] = grand
        return payload


def fold(values: list, combine: Callable | None) -> Any:
    found = [v for v in values if v is not None]
    return combine(found) if combine and found else None


class RankingProps(ChartBase):
    x: str | None = Field(default=None, description="dimension ranked (e.g. leader); default the first")
    y: list[str] = Field(default_factory=list, description="the first measure ranks; any others are shown beside "
                                                           "it; default all")
    top: int = Field(default=10, ge=1, le=1000)
    desc: bool = Field(default=True, description="largest first")


class Ranking(ChartType):
    key = "ranking"
    label = ("排行榜", "Ranking")
    icon = "TrophyOutlined"
    props = RankingProps
    echarts = False

    def read(self, chart: Any, refs: Refs) -> dict:
        x = refs.dimension("x", chart.x)
        y = refs.measures("y", chart.y)
        refs.uses_every_dimension([x])
        return {"x": x, "y": y}

    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        x, ys = spec["x"], spec["y"]
        by = ys[0]
        valued = [r for r in data.rows if number(r.get(by)) is not None]
        valued.sort(key=lambda r: number(r.get(by)), reverse=chart.desc)
        blank = [r for r in data.rows if number(r.get(by)) is None]  # ranked after every value, without a rank
        items, rank, last = [], 0, None
        for i, row in enumerate((valued + blank)[:chart.top]):
            value = number(row.get(by))
            if value != last:  # ties share a rank: 1, 2, 2, 4
                rank, last = i + 1, value
            name = row.get(x)
            item: dict = {"rank": rank if value is not None else None, "name": data.text(x, name), "value": value,
                          "values": {k: number(row.get(k)) for k in ys[1:]}}
            if isinstance(name, dict) and name.get("id") is not None:
                item["id"] = name["id"]
            if row.get("_drill"):
                item["drill"] = row["_drill"]
            items.append(item)
        return {"name": data.columns.head(x), "value": data.columns.head(by),
                "others": [data.columns.head(k) for k in ys[1:]], "items": items}
