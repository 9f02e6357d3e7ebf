"""engines/report/charts: every chart type shaped from a small realistic result (GMV by month × leader …), and
every problem a builder can make in a report's `chart` object."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engines.problems import MESSAGES, Problem, ProblemsError
from engines.report.charts import CHART_TYPES, chart_problems, describe, shape

WANG, LI, ZHAO = {"id": 3, "label": "王团长"}, {"id": 4, "label": "李团长"}, {"id": 5, "label": "赵团长"}


def col(key, label, type_, role, **extra):
    return {"key": key, "label": label, "type": type_, "role": role, **extra}


MONTH = col("month", "月份", "date", "dimension", bucket="month")
LEADER = col("leader", "团长", "ref", "dimension")
GMV = col("gmv", "销售额", "money", "measure", agg="sum")
ORDERS = col("orders", "订单数", "number", "measure", agg="count")
BUYERS = col("buyers", "下单人数", "number", "measure", agg="count_distinct")
AOV = col("aov", "客单价", "money", "metric")

# GMV by month × leader, as the report sorted it: by GMV, largest first (not by month).
BY_MONTH_LEADER = [MONTH, LEADER, GMV, ORDERS]
MONTH_LEADER_ROWS = [
    {"month": date(2026, 3, 1), "leader": WANG, "gmv": Decimal("5200.50"), "orders": 40, "_drill": "w-mar"},
    {"month": date(2026, 1, 1), "leader": WANG, "gmv": Decimal("3000.00"), "orders": 25, "_drill": "w-jan"},
    {"month": date(2026, 2, 1), "leader": LI, "gmv": Decimal("2500.00"), "orders": 20, "_drill": "l-feb"},
    {"month": date(2026, 1, 1), "leader": LI, "gmv": Decimal("1800.00"), "orders": 12, "_drill": "l-jan"},
]

# Per leader, sorted by GMV.
BY_LEADER = [LEADER, GMV, ORDERS, BUYERS, AOV]
LEADER_ROWS = [
    {"leader": WANG, "gmv": Decimal("8200.5"), "orders": 65, "buyers": 40, "aov": Decimal("126.16"), "_drill": "w"},
    {"leader": LI, "gmv": 4300.0, "orders": 32, "buyers": 30, "aov": Decimal("134.38"), "_drill": "l"},
    {"leader": ZHAO, "gmv": 4300, "orders": 30, "buyers": 28, "aov": Decimal("143.33"), "_drill": "z"},
    {"leader": None, "gmv": Decimal("120"), "orders": 2, "buyers": 2, "aov": 60, "_drill": "none"},
]

# Per month, sorted newest first.
BY_MONTH = [MONTH, GMV, ORDERS]
MONTH_ROWS = [
    {"month": date(2026, 3, 1), "gmv": Decimal("5200.50"), "orders": 40},
    {"month": date(2026, 2, 1), "gmv": Decimal("2500.00"), "orders": 20},
    {"month": date(2026, 1, 1), "gmv": Decimal("4800.00"), "orders": 37},
]

TOTALS_ONLY = [GMV, ORDERS, col("refunded", "退款额", "money", "measure", agg="sum")]
TOTAL_ROWS = [{"gmv": Decimal("12500.5"), "orders": 97, "refunded": Decimal("800")}]


def option(chart, columns, rows, totals=None):
    payload = shape(chart, columns, rows, totals)
    json.dumps(payload, allow_nan=False)  # what the API sends must be plain JSON
    return payload["option"]


def data(series):
    return [p["value"] if isinstance(p, dict) else p for p in series["data"]]


# ---- the registry ----------------------------------------------------------------------------------------------

def test_registry_lists_every_chart_type_the_designer_offers():
    assert CHART_TYPES.keys() == [
        "table", "pivot", "bar", "stacked_bar", "horizontal_bar", "line", "area", "combo", "pie", "donut",
        "funnel", "kpi", "gauge", "scatter", "radar", "heatmap", "ranking"]


@pytest.mark.parametrize("chart_type", list(CHART_TYPES), ids=CHART_TYPES.keys())
def test_every_type_has_a_palette_entry_and_refuses_unknown_properties(chart_type):
    zh, en = chart_type.label
    assert zh and en and zh != en
    assert chart_type.icon.endswith("Outlined")
    problems = chart_problems({"type": chart_type.key, "colour": "red"}, BY_MONTH_LEADER)
    assert Problem("/colour", "unknown_key", {"key": "colour"}) in problems


def test_describe_is_json_for_the_designer():
    palette = {entry["type"]: entry for entry in json.loads(json.dumps(describe()))}
    assert palette["bar"]["label"] == {"zh-CN": "柱状图", "en": "Bar"}
    assert palette["bar"]["echarts"] is True and palette["kpi"]["echarts"] is False
    assert "stack" in palette["bar"]["props"]["properties"]


@pytest.mark.parametrize("chart_type", CHART_TYPES.keys())
def test_every_type_shapes_json_from_decimals_dates_relations_and_blanks(chart_type):
    columns = [MONTH, LEADER, GMV, ORDERS, BUYERS]
    rows = [{"month": date(2026, 1, 1), "leader": WANG, "gmv": Decimal("10.5"), "orders": 1, "buyers": 1},
            {"month": None, "leader": None, "gmv": None, "orders": 0, "buyers": float("nan")}]
    chart = {"type": chart_type}
    if chart_type in ("pie", "donut", "funnel", "ranking", "combo"):
        columns, rows = [LEADER, GMV, ORDERS, BUYERS], [{k: r[k] for k in r if k != "month"} for r in rows]
    if chart_type == "kpi":
        columns, rows = [MONTH, GMV, ORDERS], [{k: r[k] for k in r if k != "leader"} for r in rows]
    if chart_type == "gauge":
        columns, rows = [GMV], [{"gmv": Decimal("10.5")}]
    if chart_type in ("radar", "scatter"):
        columns, rows = [LEADER, GMV, ORDERS, BUYERS], [{k: r[k] for k in r if k != "month"} for r in rows]
    assert chart_problems(chart, columns) == []
    payload = shape(chart, columns, rows, {"gmv": Decimal("10.5")})
    assert payload["type"] == chart_type
    json.dumps(payload, allow_nan=False)


# ---- bar, stacked, horizontal, line, area, combo ---------------------------------------------------------------

def test_bar_by_month_split_by_leader_draws_months_in_order_and_a_series_per_leader():
    opt = option({"type": "bar", "x": "month", "y": ["gmv"]}, BY_MONTH_LEADER, MONTH_LEADER_ROWS)
    assert opt["xAxis"] == {"type": "category", "name": "月份", "data": ["2026-01", "2026-02", "2026-03"]}
    assert opt["yAxis"] == {"type": "value", "name": "销售额"}
    assert [s["name"] for s in opt["series"]] == ["王团长", "李团长"]  # the report's other dimension
    assert opt["legend"] == {"data": ["王团长", "李团长"]}
    wang, li = opt["series"]
    assert wang["type"] == "bar" and "stack" not in wang
    assert data(wang) == [3000.0, None, 5200.5]  # no February for 王团长: a gap, not a zero
    assert data(li) == [1800.0, 2500.0, None]
    assert wang["data"][2] == {"value": 5200.5, "drill": "w-mar"}  # clicking opens the month's orders


def test_bar_with_several_measures_draws_one_series_each_named_by_its_label():
    opt = option({"type": "bar", "y": ["gmv", "aov"]}, BY_LEADER, LEADER_ROWS)
    assert opt["xAxis"]["data"] == ["王团长", "李团长", "赵团长", "(空)"]  # report order; a blank leader shows
    assert [s["name"] for s in opt["series"]] == ["销售额", "客单价"]
    assert "name" not in opt["yAxis"]  # two measures: the legend names them
    assert data(opt["series"][0]) == [8200.5, 4300.0, 4300, 120.0]
    assert data(opt["series"][1]) == [126.16, 134.38, 143.33, 60]


def test_bar_defaults_to_every_measure_and_sorts_by_value_when_asked():
    opt = option({"type": "bar", "sort": "asc", "labels": True}, [LEADER, ORDERS], LEADER_ROWS)
    assert opt["xAxis"]["data"] == ["(空)", "赵团长", "李团长", "王团长"]
    assert data(opt["series"][0]) == [2, 30, 32, 65]
    assert opt["series"][0]["label"] == {"show": True, "position": "top"}


def test_stacked_bar_stacks_every_series():
    opt = option({"type": "stacked_bar", "x": "month", "series": "leader"}, BY_MONTH_LEADER, MONTH_LEADER_ROWS)
    assert [s["stack"] for s in opt["series"]] == ["total", "total"]
    assert data(opt["series"][1]) == [1800.0, 2500.0, None]


def test_bar_stacks_only_when_asked():
    opt = option({"type": "bar", "y": ["gmv", "aov"], "stack": True}, BY_LEADER, LEADER_ROWS)
    assert {s["stack"] for s in opt["series"]} == {"total"}


def test_horizontal_bar_puts_categories_down_the_side_first_row_on_top():
    opt = option({"type": "horizontal_bar", "y": ["gmv"], "labels": True}, BY_LEADER, LEADER_ROWS)
    assert opt["yAxis"]["type"] == "category" and opt["yAxis"]["inverse"] is True
    assert opt["yAxis"]["data"][:2] == ["王团长", "李团长"]
    assert opt["xAxis"] == {"type": "value", "name": "销售额"}
    assert opt["series"][0]["label"]["position"] == "right"


def test_line_over_months_is_chronological_even_when_the_report_sorts_by_value():
    opt = option({"type": "line", "smooth": True}, BY_MONTH, MONTH_ROWS)
    assert opt["xAxis"]["data"] == ["2026-01", "2026-02", "2026-03"]
    gmv, orders = opt["series"]
    assert (gmv["type"], gmv["name"], gmv["smooth"]) == ("line", "销售额", True)
    assert data(gmv) == [4800.0, 2500.0, 5200.5] and data(orders) == [37, 20, 40]
    assert "areaStyle" not in gmv


def test_area_fills_under_the_line_and_may_stack():
    opt = option({"type": "area", "x": "month", "stack": True}, BY_MONTH_LEADER, MONTH_LEADER_ROWS)
    assert all(s["type"] == "line" and s["areaStyle"] == {} and s["stack"] == "total" for s in opt["series"])


def test_combo_draws_bars_on_the_left_axis_and_lines_on_the_right():
    opt = option({"type": "combo", "y": ["gmv"], "y2": ["aov"]}, BY_LEADER, LEADER_ROWS)
    bar, line = opt["series"]
    assert (bar["type"], bar["yAxisIndex"], bar["name"]) == ("bar", 0, "销售额")
    assert (line["type"], line["yAxisIndex"], line["name"]) == ("line", 1, "客单价")
    assert [axis["name"] for axis in opt["yAxis"]] == ["销售额", "客单价"]
    assert data(line) == [126.16, 134.38, 143.33, 60]
    assert opt["legend"]["data"] == ["销售额", "客单价"]


def test_combo_defaults_to_the_first_measure_as_bars_and_the_second_as_line():
    opt = option({"type": "combo"}, BY_MONTH, MONTH_ROWS)
    assert [(s["type"], s["name"]) for s in opt["series"]] == [("bar", "销售额"), ("line", "订单数")]


def test_combo_needs_a_second_measure():
    assert chart_problems({"type": "combo"}, [MONTH, GMV]) == [Problem("/y2", "chart_needs_measure", {"prop": "y2"})]


# ---- pie, donut, funnel ----------------------------------------------------------------------------------------

def test_pie_slices_are_the_dimension_values_with_their_drill():
    opt = option({"type": "pie", "y": ["orders"]}, BY_LEADER, LEADER_ROWS)
    series = opt["series"][0]
    assert series["type"] == "pie" and series["name"] == "订单数" and series["radius"] == "65%"
    assert series["data"][:2] == [{"name": "王团长", "value": 65, "drill": "w"},
                                  {"name": "李团长", "value": 32, "drill": "l"}]
    assert series["data"][3]["name"] == "(空)"
    assert series["label"] == {"show": True, "formatter": "{b}: {d}%"}
    assert opt["legend"]["data"] == ["王团长", "李团长", "赵团长", "(空)"]


def test_donut_is_a_pie_with_a_hole():
    series = option({"type": "donut", "labels": "value"}, [LEADER, GMV], LEADER_ROWS)["series"][0]
    assert series["radius"] == ["40%", "65%"] and series["label"]["formatter"] == "{b}: {c}"


def test_pie_without_a_dimension_slices_the_measures_from_the_totals():
    chart = {"type": "pie", "y": ["gmv", "refunded"]}
    assert chart_problems(chart, TOTALS_ONLY) == []
    series = option(chart, TOTALS_ONLY, TOTAL_ROWS, {"gmv": 12500.5, "refunded": 800})["series"][0]
    assert series["data"] == [{"name": "销售额", "value": 12500.5}, {"name": "退款额", "value": 800}]


def test_pie_takes_one_measure():
    assert chart_problems({"type": "pie", "x": "leader", "y": ["gmv", "orders"]}, BY_LEADER) == [
        Problem("/y/1", "chart_too_many_measures", {"limit": 1})]


def test_funnel_stages_sorted_widest_first_by_default():
    columns = [col("stage", "阶段", "select", "dimension"), col("users", "人数", "number", "measure", agg="count")]
    rows = [{"stage": "浏览", "users": 1000}, {"stage": "加购", "users": 300}, {"stage": "支付", "users": 120}]
    series = option({"type": "funnel"}, columns, rows)["series"][0]
    assert series["type"] == "funnel" and series["sort"] == "descending"
    assert series["data"] == [{"name": "浏览", "value": 1000}, {"name": "加购", "value": 300},
                              {"name": "支付", "value": 120}]
    assert option({"type": "funnel", "sort": "none"}, columns, rows)["series"][0]["sort"] == "none"


# ---- kpi and gauge ---------------------------------------------------------------------------------------------

def test_kpi_compares_the_latest_month_with_the_one_before():
    payload = shape({"type": "kpi", "value": "gmv"}, BY_MONTH, MONTH_ROWS)
    assert payload["type"] == "kpi" and payload["label"] == "销售额" and payload["value_type"] == "money"
    assert (payload["value"], payload["previous"]) == (5200.5, 2500.0)
    assert payload["change"] == 1.0802  # +108.02 %
    assert (payload["period"], payload["previous_period"]) == ("2026-03", "2026-02")
    assert [p["value"] for p in payload["trend"]] == [4800.0, 2500.0, 5200.5]


def test_kpi_compares_with_a_measure_holding_the_previous_value():
    columns = [GMV, col("gmv_last", "上月销售额", "money", "measure", agg="sum")]
    payload = shape({"type": "kpi", "value": "gmv", "previous": "gmv_last"}, columns,
                    [{"gmv": Decimal("900"), "gmv_last": Decimal("1200")}])
    assert (payload["value"], payload["previous"], payload["change"]) == (900.0, 1200.0, -0.25)
    assert payload["previous_label"] == "上月销售额"


def test_kpi_without_a_period_shows_the_grand_total_and_no_change():
    payload = shape({"type": "kpi", "value": "orders"}, BY_LEADER, LEADER_ROWS, {"orders": 129})
    assert (payload["value"], payload["previous"], payload["change"]) == (129, None, None)


def test_kpi_has_no_change_from_a_zero_base():
    rows = [{"month": date(2026, 1, 1), "gmv": 0, "orders": 0}, {"month": date(2026, 2, 1), "gmv": 50, "orders": 1}]
    payload = shape({"type": "kpi"}, BY_MONTH, rows)
    assert (payload["value"], payload["previous"], payload["change"]) == (50, 0, None)


def test_kpi_period_must_be_a_date_or_number():
    assert chart_problems({"type": "kpi", "x": "leader"}, BY_LEADER) == [
        Problem("/x", "chart_needs_ordered", {"key": "leader"})]


def test_gauge_reads_the_total_against_its_target():
    payload = shape({"type": "gauge", "value": "gmv", "target": 20000}, TOTALS_ONLY, TOTAL_ROWS)
    series = payload["option"]["series"][0]
    assert (series["type"], series["min"], series["max"]) == ("gauge", 0, 20000)
    assert series["data"] == [{"name": "销售额", "value": 12500.5}]
    assert series["axisLine"]["lineStyle"]["color"][0] == [1.0, "#E6EBF8"]
    assert (payload["value"], payload["target"], payload["progress"]) == (12500.5, 20000, 0.625)


def test_gauge_without_a_maximum_rounds_up_above_the_value():
    series = option({"type": "gauge", "value": "orders"}, TOTALS_ONLY, TOTAL_ROWS)["series"][0]
    assert series["max"] == 100


def test_gauge_range_must_be_increasing():
    assert chart_problems({"type": "gauge", "min": 100, "max": 100}, TOTALS_ONLY) == [
        Problem("/max", "bad_range", {"min": 100, "max": 100})]


# ---- scatter, radar, heatmap -----------------------------------------------------------------------------------

def test_scatter_places_each_leader_by_orders_and_gmv_sized_by_buyers():
    opt = option({"type": "scatter", "x": "orders", "y": ["gmv"], "size": "buyers"}, BY_LEADER, LEADER_ROWS)
    assert opt["xAxis"]["name"] == "订单数" and opt["yAxis"]["name"] == "销售额"
    first = opt["series"][0]["data"][0]
    assert first["value"] == [65, 8200.5, 40] and first["name"] == "王团长" and first["drill"] == "w"
    assert first["symbolSize"] == 40  # the most buyers: the largest bubble
    assert opt["series"][0]["data"][3]["symbolSize"] == 9.6


def test_scatter_needs_measures_on_both_axes():
    assert chart_problems({"type": "scatter", "x": "leader"}, BY_LEADER) == [
        Problem("/x", "chart_not_measure", {"key": "leader"})]


def test_radar_with_several_measures_has_an_axis_per_measure_and_a_shape_per_leader():
    chart = {"type": "radar", "y": ["gmv", "orders", "buyers"]}
    opt = option(chart, BY_LEADER, LEADER_ROWS[:2])
    assert opt["radar"]["indicator"] == [{"name": "销售额", "max": 10000}, {"name": "订单数", "max": 80},
                                         {"name": "下单人数", "max": 40}]
    assert opt["series"][0]["data"] == [{"name": "王团长", "value": [8200.5, 65, 40], "drill": "w"},
                                        {"name": "李团长", "value": [4300.0, 32, 30], "drill": "l"}]


def test_radar_with_one_measure_has_an_axis_per_month_and_a_shape_per_leader():
    opt = option({"type": "radar", "x": "month", "y": ["gmv"]}, BY_MONTH_LEADER, MONTH_LEADER_ROWS)
    assert [i["name"] for i in opt["radar"]["indicator"]] == ["2026-01", "2026-02", "2026-03"]
    assert opt["series"][0]["data"] == [{"name": "王团长", "value": [3000.0, None, 5200.5]},
                                        {"name": "李团长", "value": [1800.0, 2500.0, None]}]


def test_radar_needs_one_or_at_least_three_measures():
    assert chart_problems({"type": "radar", "y": ["gmv", "orders"]}, BY_LEADER) == [Problem("/y", "chart_radar_axes")]


def test_heatmap_of_orders_by_weekday_and_hour():
    columns = [col("hour", "时段", "number", "dimension"), col("weekday", "星期", "text", "dimension"), ORDERS]
    rows = [{"hour": 20, "weekday": "周一", "orders": 12}, {"hour": 9, "weekday": "周一", "orders": 3},
            {"hour": 20, "weekday": "周六", "orders": 30, "_drill": "sat-20"}]
    opt = option({"type": "heatmap", "x": "hour", "y": "weekday", "value": "orders"}, columns, rows)
    assert opt["xAxis"]["data"] == ["9", "20"]  # hours in order
    assert opt["yAxis"]["data"] == ["周一", "周六"]
    assert opt["series"][0]["data"] == [[1, 0, 12], [0, 0, 3], {"value": [1, 1, 30], "drill": "sat-20"}]
    assert (opt["visualMap"]["min"], opt["visualMap"]["max"]) == (3, 30)


def test_heatmap_needs_two_dimensions_and_a_measure():
    assert chart_problems({"type": "heatmap"}, [LEADER, GMV]) == [
        Problem("/y", "chart_needs_dimension", {"prop": "y"})]
    assert chart_problems({"type": "heatmap", "value": "leader"}, BY_MONTH_LEADER) == [
        Problem("/value", "chart_not_measure", {"key": "leader"})]
    assert chart_problems({"type": "heatmap", "x": "month", "y": "month"}, BY_MONTH_LEADER) == [
        Problem("/y", "chart_same_column", {"key": "month"}),
        Problem("", "chart_unused_dimension", {"key": "leader"})]


# ---- table, pivot, ranking -------------------------------------------------------------------------------------

def test_table_keeps_the_chosen_columns_in_order_with_plain_json_values():
    payload = shape({"type": "table", "columns": ["leader", "gmv"]}, BY_LEADER, LEADER_ROWS[:1], {"gmv": 12920.5})
    assert payload["columns"] == [{"key": "leader", "label": "团长", "type": "ref", "role": "dimension"},
                                  {"key": "gmv", "label": "销售额", "type": "money", "role": "measure"}]
    assert payload["rows"] == [{"leader": {"id": 3, "label": "王团长"}, "gmv": 8200.5, "_drill": "w"}]
    assert payload["totals"] == {"gmv": 12920.5}


def test_table_shows_every_column_by_default_and_dates_as_iso_text():
    payload = shape({"type": "table"}, BY_MONTH, MONTH_ROWS[:1])
    assert [c["key"] for c in payload["columns"]] == ["month", "gmv", "orders"]
    assert payload["rows"] == [{"month": "2026-03-01", "gmv": 5200.5, "orders": 40}]
    assert payload["totals"] is None


def test_table_names_unknown_columns():
    assert chart_problems({"type": "table", "columns": ["gmv", "profit"]}, BY_MONTH) == [
        Problem("/columns/1", "chart_unknown_column", {"key": "profit", "known": "month, gmv, orders"})]


def test_pivot_months_down_leaders_across_with_totals():
    payload = shape({"type": "pivot", "rows": ["month"], "columns": ["leader"], "values": ["gmv", "orders"]},
                    BY_MONTH_LEADER, MONTH_LEADER_ROWS)
    assert payload["row_headers"] == [["2026-01"], ["2026-02"], ["2026-03"]]
    assert payload["column_headers"] == [["王团长"], ["李团长"]]
    assert [v["label"] for v in payload["values"]] == ["销售额", "订单数"]
    assert payload["cells"] == [[[3000.0, 25], [1800.0, 12]],
                                [None, [2500.0, 20]],
                                [[5200.5, 40], None]]
    assert payload["row_totals"] == [[4800.0, 37], [2500.0, 20], [5200.5, 40]]
    assert payload["column_totals"] == [[8200.5, 65], [4300.0, 32]]
    assert payload["grand_total"] == [12500.5, 97]
    assert payload["drill"][0] == ["w-jan", "l-jan"]


def test_pivot_leaves_subtotals_of_averages_blank_but_takes_the_grand_total_from_the_report():
    columns = [MONTH, LEADER, AOV]
    rows = [{"month": date(2026, 1, 1), "leader": WANG, "aov": 120}, {"month": date(2026, 1, 1), "leader": LI,
                                                                      "aov": 150}]
    payload = shape({"type": "pivot"}, columns, rows, {"aov": 131.5})
    assert payload["row_totals"] == [[None]]  # 120 + 150 is no average
    assert payload["grand_total"] == [131.5]


def test_pivot_without_totals_and_with_rows_only():
    payload = shape({"type": "pivot", "totals": False}, BY_LEADER, LEADER_ROWS[:2])
    assert payload["row_headers"] == [["王团长"], ["李团长"]] and payload["column_headers"] == [[]]
    assert payload["cells"][0] == [[8200.5, 65, 40, 126.16]]
    assert "row_totals" not in payload and "grand_total" not in payload


def test_pivot_may_not_put_a_dimension_on_both_sides():
    assert chart_problems({"type": "pivot", "rows": ["month"], "columns": ["month", "leader"]}, BY_MONTH_LEADER) == [
        Problem("/columns/0", "chart_same_column", {"key": "month"})]


def test_ranking_shares_ranks_on_ties_and_puts_blanks_last():
    columns = [LEADER, GMV, ORDERS]
    rows = [{"leader": LI, "gmv": 4300, "orders": 32}, {"leader": None, "gmv": None, "orders": 1},
            {"leader": WANG, "gmv": Decimal("8200.5"), "orders": 65, "_drill": "w"},
            {"leader": ZHAO, "gmv": 4300.0, "orders": 30}, {"leader": {"id": 6, "label": "钱团长"}, "gmv": 10,
                                                             "orders": 1}]
    payload = shape({"type": "ranking", "y": ["gmv", "orders"], "top": 10}, columns, rows)
    assert [(i["rank"], i["name"], i["value"]) for i in payload["items"]] == [
        (1, "王团长", 8200.5), (2, "李团长", 4300), (2, "赵团长", 4300.0), (4, "钱团长", 10), (None, "(空)", None)]
    assert payload["items"][0] == {"rank": 1, "name": "王团长", "value": 8200.5, "values": {"orders": 65}, "id": 3,
                                   "drill": "w"}
    assert payload["value"]["label"] == "销售额" and [c["key"] for c in payload["others"]] == ["orders"]
    top2 = shape({"type": "ranking", "top": 2, "desc": False}, [LEADER, GMV], rows)["items"]
    assert [i["name"] for i in top2] == ["钱团长", "李团长"]


# ---- problems --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chart, problems", [
    ("bar", [Problem("", "not_object")]),
    ({"x": "leader"}, [Problem("/type", "required")]),
    ({"type": "map"},
     [Problem("/type", "chart_unknown_type", {"value": "map", "known": ", ".join(CHART_TYPES.keys())})]),
    ({"type": "bar", "y": ["profit"]},
     [Problem("/y/0", "chart_unknown_column", {"key": "profit", "known": "leader, gmv, orders, buyers, aov"})]),
    ({"type": "bar", "y": ["gmv", "leader"]}, [Problem("/y/1", "chart_not_measure", {"key": "leader"})]),
    ({"type": "bar", "x": "gmv"}, [Problem("/x", "chart_not_dimension", {"key": "gmv"})]),
    ({"type": "bar", "y": "gmv"}, [Problem("/y", "not_list", {"value": "gmv"})]),
    ({"type": "bar", "stack": "often"}, [Problem("/stack", "not_bool", {"value": "often"})]),
    ({"type": "bar", "sort": "up"}, [Problem("/sort", "not_option", {"value": "up", "options": "'asc' or 'desc'"})]),
    ({"type": "ranking", "top": 0}, [Problem("/top", "too_small", {"limit": 1})]),
    ({"type": "line", "smooth": True, "y": [1]}, [Problem("/y/0", "not_text", {"value": 1})]),
    ({"type": "bar", "series": "leader"}, [Problem("/series", "chart_same_column", {"key": "leader"})]),
    ({"type": "pie", "y": ["gmv", "orders"]}, [Problem("/y/1", "chart_too_many_measures", {"limit": 1})]),
    ({"type": "radar", "series": "leader"}, [Problem("/series", "chart_radar_series")]),
])
def test_chart_problems_name_the_place_in_the_chart_object(chart, problems):
    assert chart_problems(chart, BY_LEADER) == problems


def test_a_chart_must_use_every_dimension_the_report_groups_by():
    assert chart_problems({"type": "pie", "x": "leader"}, BY_MONTH_LEADER) == [
        Problem("", "chart_unused_dimension", {"key": "month"})]
    assert chart_problems({"type": "ranking"}, BY_MONTH_LEADER) == [  # ranks months: leaders would repeat them
        Problem("", "chart_unused_dimension", {"key": "leader"})]


def test_a_series_split_shows_one_measure():
    assert chart_problems({"type": "line", "x": "month", "y": ["gmv", "orders"]}, BY_MONTH_LEADER) == [
        Problem("/y/1", "chart_series_one_measure", {"series": "leader"})]


def test_charts_need_a_dimension_and_a_measure_to_draw():
    assert chart_problems({"type": "bar"}, TOTALS_ONLY) == [Problem("/x", "chart_needs_dimension", {"prop": "x"})]
    assert chart_problems({"type": "line"}, [MONTH]) == [Problem("/y", "chart_needs_measure", {"prop": "y"})]
    assert chart_problems({"type": "kpi"}, [MONTH]) == [Problem("/value", "chart_needs_measure",
                                                                {"prop": "value"})]


def test_shape_refuses_a_chart_with_problems():
    with pytest.raises(ProblemsError) as info:
        shape({"type": "bar", "y": ["profit"]}, BY_LEADER, LEADER_ROWS)
    assert info.value.problems[0].path == "/y/0"


def test_blank_and_yes_no_categories_speak_the_viewers_language():
    columns = [col("vip", "会员", "bool", "dimension"), ORDERS]
    rows = [{"vip": True, "orders": 5}, {"vip": False, "orders": 3}, {"vip": None, "orders": 1}]
    assert option({"type": "bar"}, columns, rows)["xAxis"]["data"] == ["是", "否", "(空)"]
    english = shape({"type": "bar"}, columns, rows, lang="en")["option"]
    assert english["xAxis"]["data"] == ["Yes", "No", "(empty)"]


def test_every_chart_problem_reads_in_chinese_and_english():
    for code in [c for c in MESSAGES if c.startswith("chart_")]:
        problem = Problem("", code, {"key": "gmv", "known": "a, b", "value": "map", "prop": "y", "limit": 1,
                                     "series": "leader"})
        zh, en = problem.message("zh-CN"), problem.message("en")
        assert "{" not in zh and "{" not in en and zh != en


def test_the_frontend_draws_every_chart_type_the_server_shapes():
    registry = Path(__file__).parents[3] / "frontend" / "src" / "charts" / "registry.ts"
    body = registry.read_text(encoding="utf-8").split("CHART_KINDS = {", 1)[1].split("}", 1)[0]
    kinds = dict(re.findall(r"^\s*(\w+): '(\w+)',", body, re.M))
    assert list(kinds) == CHART_TYPES.keys()
    assert {key for key, kind in kinds.items() if kind == "echarts"} == {t.key for t in CHART_TYPES if t.echarts}
    assert {key: kind for key, kind in kinds.items() if kind != "echarts"} == {
        "table": "table", "pivot": "pivot", "kpi": "kpi", "ranking": "ranking"}


@pytest.mark.parametrize("bucket, value, shown", [
    ("year", date(2026, 5, 17), "2026"),
    ("quarter", date(2026, 5, 17), "2026-Q2"),
    ("month", date(2026, 5, 17), "2026-05"),
    ("week", date(2026, 5, 17), "2026-05-11"),  # a week is named by its Monday
    ("day", date(2026, 5, 17), "2026-05-17"),
    (None, datetime(2026, 5, 17, 20, 30, 15), "2026-05-17 20:30"),
    ("month", "2026-05", "2026-05"),  # labels the report already made pass through
])
def test_date_categories_are_named_by_their_period(bucket, value, shown):
    period = col("period", "时间", "date", "dimension", **({"bucket": bucket} if bucket else {}))
    opt = option({"type": "bar"}, [period, ORDERS], [{"period": value, "orders": 1}])
    assert opt["xAxis"]["data"] == [shown]


@pytest.mark.parametrize("chart_type", CHART_TYPES.keys())
def test_every_type_shapes_an_empty_result(chart_type):
    columns = {"kpi": BY_MONTH, "gauge": TOTALS_ONLY, "heatmap": BY_MONTH_LEADER, "pivot": BY_MONTH_LEADER,
               "table": BY_MONTH_LEADER}.get(chart_type, [LEADER, GMV, ORDERS, BUYERS])
    payload = shape({"type": chart_type}, columns, [])
    json.dumps(payload, allow_nan=False)
    if "option" in payload:
        assert all(not s.get("data") or s["type"] == "gauge" for s in payload["option"]["series"])
