"""engines/report/dashboards: widgets on the 24-column grid, shared filters, and what a viewer's picks become."""
from __future__ import annotations

from datetime import date

import pytest

from engines.problems import MESSAGES, Problem, ProblemsError
from engines.report.dashboards import PRESETS, DashboardDef, dashboard_problems, filter_values

REPORTS = {"gmv_by_month": {"source": "order"}, "leader_ranking": {"source": "order"},
           "new_customers": {"source": "customer"}, "refunds": {"source": "refund"}}


def board(**changes):
    doc = {
        "key": "main", "name": "经营看板",
        "filters": [
            {"key": "period", "label": "支付日期", "type": "date_range", "default": "this_month",
             "targets": {"gmv_by_month": "paid_at", "leader_ranking": "paid_at", "new_customers": "created_at"}},
            {"key": "leader", "label": "团长", "type": "member",
             "targets": {"leader_ranking": "customer.leader", "new_customers": "leader"}},
        ],
        "widgets": [
            {"report": "gmv_by_month", "x": 0, "y": 0, "w": 16, "h": 6, "title": "月度 GMV"},
            {"report": "leader_ranking", "x": 16, "y": 0, "w": 8, "h": 12},
            {"report": "new_customers", "x": 0, "y": 6, "w": 16, "h": 6},
        ],
    }
    doc.update(changes)
    return doc


def test_a_sound_dashboard_has_no_problems_and_parses():
    assert dashboard_problems([board()], REPORTS) == []
    parsed = DashboardDef.model_validate(board())
    assert [w.report for w in parsed.widgets] == ["gmv_by_month", "leader_ranking", "new_customers"]
    assert parsed.filters[1].targets == {"leader_ranking": "customer.leader", "new_customers": "leader"}


def test_widgets_without_a_place_flow_into_the_first_free_cells():
    doc = board(widgets=[{"report": "gmv_by_month", "w": 6, "h": 4},  # the app format's example: size only
                         {"report": "refunds", "x": 6, "y": 0, "w": 12, "h": 4},
                         {"report": "leader_ranking", "w": 8, "h": 4},
                         {"report": "new_customers"}], filters=[])
    assert dashboard_problems([doc], REPORTS) == []
    placed = DashboardDef.model_validate(doc).placed()
    assert [(w.report, w.x, w.y, w.w, w.h) for w in placed] == [
        ("gmv_by_month", 0, 0, 6, 4), ("refunds", 6, 0, 12, 4), ("leader_ranking", 0, 4, 8, 4),
        ("new_customers", 8, 4, 12, 6)]  # default size 12 × 6; 18..24 on row 0 was too narrow


@pytest.mark.parametrize("widget, problem", [
    ({"report": "profit", "x": 0, "y": 20}, Problem("/0/widgets/3/report", "dashboard_unknown_report",
                                                     {"key": "profit"})),
    ({"report": "refunds", "x": 20, "y": 20, "w": 6}, Problem("/0/widgets/3/w", "dashboard_too_wide",
                                                              {"right": 26})),
    ({"report": "refunds", "x": 10, "y": 4, "w": 4, "h": 4}, Problem("/0/widgets/3", "dashboard_overlap",
                                                                     {"other": 1, "report": "gmv_by_month"})),
    ({"report": "refunds", "x": 4}, Problem("/0/widgets/3/y", "dashboard_place_both")),
    ({"report": "refunds", "w": 0}, Problem("/0/widgets/3/w", "too_small", {"limit": 1})),
    ({"report": "refunds", "w": 25}, Problem("/0/widgets/3/w", "too_large", {"limit": 24})),
    ({"report": "refunds", "x": 24, "y": 0}, Problem("/0/widgets/3/x", "too_large", {"limit": 23})),
    ({"report": "refunds", "h": 0}, Problem("/0/widgets/3/h", "too_small", {"limit": 1})),
    ({"report": "refunds", "x": -1, "y": 0}, Problem("/0/widgets/3/x", "too_small", {"limit": 0})),
    ({"report": "refunds", "colour": "red"}, Problem("/0/widgets/3/colour", "unknown_key", {"key": "colour"})),
    ({"w": 4}, Problem("/0/widgets/3/report", "required")),
])
def test_widget_problems_point_at_the_widget(widget, problem):
    doc = board()
    doc["widgets"].append(widget)
    assert dashboard_problems([doc], REPORTS) == [problem]


def test_widgets_touching_edges_do_not_overlap():
    doc = board(widgets=[{"report": "refunds", "x": 0, "y": 0, "w": 12, "h": 4},
                         {"report": "gmv_by_month", "x": 12, "y": 0, "w": 12, "h": 4},
                         {"report": "leader_ranking", "x": 0, "y": 4, "w": 24, "h": 2},
                         {"report": "new_customers", "x": 0, "y": 6, "w": 24, "h": 2}], filters=[])
    assert dashboard_problems([doc], REPORTS) == []


def test_dashboard_keys_are_unique_and_well_formed():
    problems = dashboard_problems([board(), board(), board(key="Main Board")], REPORTS)
    assert problems == [Problem("/1/key", "duplicate_key", {"key": "main", "other": "/dashboards/0"}),
                        Problem("/2/key", "bad_key", {"value": "Main Board"})]


def test_the_dashboards_must_be_a_list_of_objects():
    assert dashboard_problems({"key": "main"}, REPORTS) == [Problem("", "not_list")]
    assert dashboard_problems(["main"], REPORTS)[0].path == "/0"


def test_a_filter_targets_reports_on_its_dashboard_by_a_field_path():
    doc = board()
    doc["filters"][0]["targets"].update({"refunds": "refunded_at", "profit": "paid_at"})
    doc["filters"][1]["targets"]["new_customers"] = "Leader Name"
    assert dashboard_problems([doc], REPORTS) == [
        Problem("/0/filters/1/targets/new_customers", "bad_field_path", {"value": "Leader Name"})]
    doc["filters"][1]["targets"]["new_customers"] = "leader"
    assert dashboard_problems([doc], REPORTS) == [
        Problem("/0/filters/0/targets/refunds", "dashboard_target_off_board", {"key": "refunds"}),
        Problem("/0/filters/0/targets/profit", "dashboard_unknown_report", {"key": "profit"})]


@pytest.mark.parametrize("change, problem", [
    ({"key": "leader"}, Problem("/0/filters/1/key", "duplicate_key",
                                {"key": "leader", "other": "/dashboards/0/filters/0"})),
    ({"type": "number"}, Problem("/0/filters/0/type", "not_option",
                                 {"value": "number",
                                  "options": "'date_range', 'member', 'relation', 'select' or 'text'"})),
    ({"targets": {}}, Problem("/0/filters/0/targets", "too_few_items", {"limit": 1})),
    ({"default": "2026-02-30..2026-03-01"}, Problem("/0/filters/0/default", "bad_date_range",
                                                    {"value": "2026-02-30..2026-03-01",
                                                     "presets": ", ".join(PRESETS)})),
    ({"default": "2026-03-31..2026-03-01"}, Problem("/0/filters/0/default", "date_range_reversed",
                                                    {"start": "2026-03-31", "end": "2026-03-01"})),
])
def test_filter_problems(change, problem):
    doc = board()
    doc["filters"][0].update(change)
    assert dashboard_problems([doc], REPORTS) == [problem]


def test_a_member_filter_default_must_be_user_ids():
    doc = board()
    doc["filters"][1]["default"] = "me"
    assert dashboard_problems([doc], REPORTS) == [Problem("/0/filters/1/default", "bad_member", {"value": "me"})]


# ---- what a viewer picks ---------------------------------------------------------------------------------------

DASHBOARD = DashboardDef.model_validate(board())
TODAY = date(2026, 3, 18)


def test_a_picked_date_range_becomes_a_half_open_range_on_each_report():
    found = filter_values(DASHBOARD, {"period": "2026-01-01..2026-01-31"}, TODAY)
    assert found == {
        "gmv_by_month": [("paid_at", ">=", date(2026, 1, 1)), ("paid_at", "<", date(2026, 2, 1))],
        "leader_ranking": [("paid_at", ">=", date(2026, 1, 1)), ("paid_at", "<", date(2026, 2, 1))],
        "new_customers": [("created_at", ">=", date(2026, 1, 1)), ("created_at", "<", date(2026, 2, 1))],
    }


def test_defaults_apply_when_nothing_is_picked_and_an_empty_value_clears_them():
    found = filter_values(DASHBOARD, {}, TODAY)  # period defaults to this_month
    assert found["gmv_by_month"] == [("paid_at", ">=", date(2026, 3, 1)), ("paid_at", "<", date(2026, 4, 1))]
    assert filter_values(DASHBOARD, {"period": ""}, TODAY) == {
        "gmv_by_month": [], "leader_ranking": [], "new_customers": []}


def test_filters_combine_per_report():
    found = filter_values(DASHBOARD, {"period": "2026-03-05", "leader": "7,9"}, TODAY)
    assert found["leader_ranking"] == [("paid_at", ">=", date(2026, 3, 5)), ("paid_at", "<", date(2026, 3, 6)),
                                       ("customer.leader", "in", [7, 9])]
    assert found["new_customers"][-1] == ("leader", "in", [7, 9])
    assert found["gmv_by_month"] == [("paid_at", ">=", date(2026, 3, 5)), ("paid_at", "<", date(2026, 3, 6))]
    assert filter_values(DASHBOARD, {"leader": " 7 "}, TODAY)["new_customers"][-1] == ("leader", "=", 7)


@pytest.mark.parametrize("text, start, end", [
    ("2026-01-10..", date(2026, 1, 10), None),
    ("..2026-01-10", None, date(2026, 1, 11)),
    ("today", date(2026, 3, 18), date(2026, 3, 19)),
    ("yesterday", date(2026, 3, 17), date(2026, 3, 18)),
    ("this_week", date(2026, 3, 16), date(2026, 3, 23)),  # Monday to Monday
    ("last_week", date(2026, 3, 9), date(2026, 3, 16)),
    ("last_7_days", date(2026, 3, 12), date(2026, 3, 19)),
    ("last_30_days", date(2026, 2, 17), date(2026, 3, 19)),
    ("last_month", date(2026, 2, 1), date(2026, 3, 1)),
    ("this_quarter", date(2026, 1, 1), date(2026, 4, 1)),
    ("last_quarter", date(2025, 10, 1), date(2026, 1, 1)),
    ("this_year", date(2026, 1, 1), date(2027, 1, 1)),
    ("last_year", date(2025, 1, 1), date(2026, 1, 1)),
    ("last_6_months", date(2025, 10, 1), date(2026, 4, 1)),  # whole months: March and the five before it
    ("last_12_months", date(2025, 4, 1), date(2026, 4, 1)),
])
def test_date_ranges_open_ended_and_relative(text, start, end):
    found = filter_values(DASHBOARD, {"period": text}, TODAY)["gmv_by_month"]
    expected = ([("paid_at", ">=", start)] if start else []) + ([("paid_at", "<", end)] if end else [])
    assert found == expected


def test_last_month_in_january_is_last_years_december():
    found = filter_values(DASHBOARD, {"period": "last_month"}, date(2026, 1, 15))["gmv_by_month"]
    assert found == [("paid_at", ">=", date(2025, 12, 1)), ("paid_at", "<", date(2026, 1, 1))]


def test_bad_picks_are_all_reported_by_filter_key():
    with pytest.raises(ProblemsError) as info:
        filter_values(DASHBOARD, {"period": "January", "leader": "王团长", "city": "深圳"}, TODAY)
    assert info.value.problems == [
        Problem("/city", "dashboard_unknown_filter", {"key": "city", "known": "period, leader"}),
        Problem("/period", "bad_date_range", {"value": "January", "presets": ", ".join(PRESETS)}),
        Problem("/leader", "bad_member", {"value": "王团长"}),
    ]
    assert info.value.problems[1].message("en").startswith("a date range is YYYY-MM-DD..YYYY-MM-DD")


def test_relative_ranges_need_the_callers_today():
    with pytest.raises(ValueError, match="need today"):
        filter_values(DASHBOARD, {})


def test_select_relation_and_text_filters():
    doc = board(filters=[
        {"key": "status", "label": "状态", "type": "select", "targets": {"gmv_by_month": "status"}},
        {"key": "customer", "label": "客户", "type": "relation", "targets": {"gmv_by_month": "customer"}},
        {"key": "q", "label": "备注", "type": "text", "targets": {"gmv_by_month": "note"}},
    ])
    dashboard = DashboardDef.model_validate(doc)
    found = filter_values(dashboard, {"status": "paid, refunded", "customer": "12", "q": "加急"})
    assert found["gmv_by_month"] == [("status", "in", ["paid", "refunded"]), ("customer", "=", 12),
                                     ("note", "contains", "加急")]
    with pytest.raises(ProblemsError) as info:
        filter_values(dashboard, {"customer": "12,x"})
    assert info.value.problems == [Problem("/customer", "bad_reference", {"value": "12,x"})]


def test_every_dashboard_problem_reads_in_chinese_and_english():
    params = {"key": "k", "known": "a", "other": 1, "report": "r", "right": 26, "value": "v", "presets": "today",
              "start": "2026-03-31", "end": "2026-03-01"}
    for code in [c for c in MESSAGES if c.startswith("dashboard_")] + ["bad_field_path", "bad_date_range",
                                                                         "date_range_reversed"]:
        zh, en = Problem("", code, params).message("zh-CN"), Problem("", code, params).message("en")
        assert "{" not in zh and "{" not in en and zh != en
