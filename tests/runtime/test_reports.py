"""Reports on both databases: numbers worked out by hand from 10 seeded orders (tests/runtime/report_app.py), in
the deployment's time zone; the viewer's rows and hidden fields; publish-time validation; drill-down, filters,
Excel export, the cache and dashboards."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.runtime.apps import records_url
from tests.runtime.report_app import app, data_url, seed

PREVIEW = "/api/apps/shop/reports/preview"


def report(**parts) -> dict:
    return {"key": "r", "name": "试算", "source": "order", "filter": "status = 'paid'", **parts}


def table(answer: dict, *keys: str) -> list[tuple]:
    return [tuple(row[k] for k in keys) for row in answer["rows"]]


async def preview(api, **parts) -> dict:
    response = await api.client.post(PREVIEW, json=report(**parts))
    assert response.status_code == 200, response.text
    return response.json()


async def test_months_are_local_and_metrics_read_other_rows(api):
    await seed(api)
    answer = (await api.client.get(data_url("gmv_by_month"))).json()
    assert [c["key"] for c in answer["columns"]] == ["month", "gmv", "orders", "buyers", "aov", "growth", "share"]
    assert answer["columns"][0] == {"key": "month", "label": "月份", "type": "period", "role": "dimension",
                                    "bucket": "month"}
    # 02-01 00:30 and 03-01 08:00 in Shanghai are still the month before in UTC: they count in Feb and March
    assert table(answer, "month", "gmv", "orders", "buyers", "aov", "growth", "share") == [
        ("2026-01", 230, 3, 2, 76.666667, None, 0.348485),
        ("2026-02", 240, 2, 2, 120, 0.043478, 0.363636),
        ("2026-03", 190, 3, 2, 63.333333, -0.208333, 0.287879)]
    total, = answer["totals"]
    assert (total["gmv"], total["orders"], total["buyers"], total["aov"]) == (660, 8, 3, 82.5)  # 3 buyers, not 6
    chart = answer["chart"]
    assert chart["type"] == "line"
    assert [[p["value"] for p in s["data"]] for s in chart["option"]["series"]] == [[230, 240, 190], [3, 2, 3]]
    assert chart["option"]["series"][0]["data"][0]["drill"] == answer["rows"][0]["_drill"]  # a click opens the records


async def test_ranking_is_sorted_cut_and_titled(api):
    ids = await seed(api)
    answer = (await api.client.get(data_url("leader_ranking"))).json()
    assert table(answer, "leader", "gmv", "orders") == [("王团长", 430, 6), ("李团长", 230, 2)]
    assert answer["rows"][0]["_keys"] == {"leader": ids["leaders"][0]}
    top = await preview(api, dimensions=[{"field": "leader", "as": "leader"}],
                        measures=[{"agg": "sum", "field": "amount", "as": "gmv"}],
                        sort=[{"by": "gmv"}], limit=1)
    assert table(top, "leader", "gmv") == [("李团长", 230)]


async def test_dimensions_through_relations_and_options(api):
    await seed(api)
    answer = await preview(api, filter=None,
                           dimensions=[{"field": "customer.leader", "as": "leader"},
                                       {"field": "customer.source", "as": "source"},
                                       {"field": "status", "as": "status"}],
                           measures=[{"agg": "count", "as": "n"}, {"agg": "max", "field": "amount", "as": "top"},
                                     {"agg": "avg", "field": "amount", "as": "mean"},
                                     {"agg": "sum", "expr": "amount - cost", "as": "margin"},
                                     {"agg": "count", "as": "refunds", "filter": "status = 'refunded'"}])
    assert [c["type"] for c in answer["columns"][:3]] == ["relation", "select", "select"]
    assert table(answer, "leader", "source", "status", "n", "top", "mean", "margin", "refunds") == [
        ("李团长", "社群", "已支付", 2, 200, 115, 100, 0),
        ("李团长", "社群", "已退款", 1, 60, 60, 20, 1),
        ("王团长", "社群", "已支付", 3, 100, 63.333333, 80, 0),  # 张三
        ("王团长", "社群", "已退款", 1, 20, 20, 10, 1),
        ("王团长", "直播", "已支付", 3, 90, 80, 100, 0)]  # 李四
    assert answer["rows"][0]["_keys"]["status"] == "paid"


async def test_repurchase_rates(api):
    await seed(api)
    answer = await preview(api, dimensions=[{"field": "paid_at", "bucket": "month", "as": "month"}],
                           measures=[{"agg": "repeat_rate", "field": "customer", "as": "twice"},
                                     {"agg": "repeat_rate", "field": "customer", "as": "back_30d", "within_days": 30,
                                      "date": "paid_at"},
                                     {"agg": "count_distinct", "field": "customer", "as": "buyers"}],
                           totals=True)
    # Jan: 张三 twice, 李四 once · Feb: 王五 and 张三 once each · Mar: 李四 twice, 王五 once
    # 30 days: 张三 Jan 5→20 ✓, 李四 Jan 31→Mar 1 (29.4 d) ✓, 王五 Feb 1→Mar 2 (29.3 d) ✓, 张三 Feb 14→none,
    # 李四 Mar 1→Mar 31 23:59 (30.7 d) ✗
    assert table(answer, "month", "twice", "back_30d", "buyers") == [
        ("2026-01", 0.5, 1, 2), ("2026-02", 0, 0.5, 2), ("2026-03", 0.5, 0, 2)]
    total, = answer["totals"]
    assert (total["twice"], total["buyers"]) == (1, 3)
    assert round(total["back_30d"], 6) == 1  # every customer came back within 30 days at least once


async def test_cohort_retention_as_a_pivot(api):
    await seed(api)
    answer = await preview(api, dimensions=[
        {"field": "paid_at", "bucket": "month", "first_by": "customer", "as": "cohort"},
        {"field": "paid_at", "bucket": "month", "since": "cohort", "as": "age"}],
        measures=[{"agg": "count_distinct", "field": "customer", "as": "active"}],
        metrics=[{"as": "retention", "expr": "active / FIRST(active)"}],
        pivot={"rows": ["cohort"], "columns": ["age"]}, totals=True)
    assert table(answer, "cohort", "age", "active", "retention") == [
        ("2026-01", 0, 2, 1), ("2026-01", 1, 1, 0.5), ("2026-01", 2, 1, 0.5),
        ("2026-02", 0, 1, 1), ("2026-02", 1, 1, 1)]
    grid = answer["pivot"]
    assert grid["headers"] == [{"age": 0}, {"age": 1}, {"age": 2}]
    assert [[cell and cell["active"] for cell in line["cells"]] for line in grid["lines"]] == [[2, 1, 1], [1, 1, None]]
    assert [line["total"]["active"] for line in grid["lines"]] == [2, 1]  # distinct customers of each cohort
    assert [t["active"] for t in grid["column_totals"]] == [3, 2, 1]
    assert grid["total"]["active"] == 3


async def test_subtotals_per_leading_dimension(api):
    await seed(api)
    answer = await preview(api, dimensions=[{"field": "leader", "as": "leader"},
                                            {"field": "paid_at", "bucket": "quarter", "as": "quarter"}],
                           measures=[{"agg": "sum", "field": "amount", "as": "gmv"}], subtotals=True, totals=True)
    assert table(answer, "leader", "quarter", "gmv") == [("李团长", "2026-Q1", 230), ("王团长", "2026-Q1", 430)]
    assert [(t["leader"], t["gmv"], t["_level"]) for t in answer["totals"]] == [
        ("李团长", 230, 1), ("王团长", 430, 1), (None, 660, 2)]


async def test_drill_down_lists_the_records_of_a_row(api):
    await seed(api)
    answer = (await api.client.get(data_url("gmv_by_month"))).json()
    for row in answer["rows"]:
        listed = (await api.client.get(records_url("order"), params={"filter": row["_drill"]})).json()
        assert listed["total"] == row["orders"]
        assert sum(r["amount"] for r in listed["items"]) == row["gmv"]
    ranking = (await api.client.get(data_url("leader_ranking"))).json()
    listed = (await api.client.get(records_url("order"), params={"filter": ranking["rows"][1]["_drill"]})).json()
    assert sorted(r["no"] for r in listed["items"]) == ["D04", "D08"]


async def test_a_leader_sees_only_their_numbers_and_nothing_hidden(api):
    ids = await seed(api)
    wang = ids["wang"]
    answer = (await wang.get(data_url("gmv_by_month"))).json()
    assert table(answer, "month", "gmv", "orders") == [("2026-01", 230, 3), ("2026-02", 40, 1), ("2026-03", 160, 2)]
    assert table((await wang.get(data_url("leader_ranking"))).json(), "leader", "gmv") == [("王团长", 430)]
    hidden = await wang.get(data_url("margin"))
    assert hidden.status_code == 403
    body = hidden.json()["error"]
    assert body["code"] == "report_not_allowed"
    assert [(d["path"], d["code"]) for d in body["details"]] == [("/measures/0/field", "report_field_hidden")]
    listed = (await wang.get("/api/apps/shop/reports")).json()["items"]
    assert [r["key"] for r in listed] == ["gmv_by_month", "leader_ranking"]
    sneaky = await wang.get(data_url("gmv_by_month"), params={"filter": "cost > 10"})
    assert sneaky.status_code == 400 and sneaky.json()["error"]["details"][0]["code"] == "field_hidden"
    assert (await wang.post(PREVIEW, json=report(measures=[{"agg": "count", "as": "n"}]))).status_code == 403


async def test_titles_of_linked_records_out_of_reach_stay_hidden(api):
    ids = await seed(api)
    doc = app(report(key="by_customer_leader", dimensions=[{"field": "customer", "as": "customer"}],
                     measures=[{"agg": "count", "as": "n"}]))
    doc["roles"][0]["permissions"][1]["rows"] = "name = '张三'"  # customers: only 张三 by name
    doc["version"] = "1.1.0"
    response = await api.client.put("/api/apps/shop/draft", json=doc)
    assert response.status_code in (200, 204), response.text
    assert (await api.client.post("/api/apps/shop/publish", json={})).status_code in (200, 201)
    answer = (await ids["wang"].get(data_url("by_customer_leader"))).json()
    c1, c2, _ = ids["customers"]
    assert table(answer, "customer", "n") == [(f"#{c2}", 3), ("张三", 3)]


async def test_runtime_filters(api):
    ids = await seed(api)
    feb = (await api.client.get(data_url("gmv_by_month"), params={"paid_at": "2026-02-01..2026-02-28"})).json()
    assert table(feb, "month", "gmv") == [("2026-02", 240)]
    assert "FORMAT_DATE(paid_at, 'YYYY-MM-DD') >= '2026-02-01'" in feb["rows"][0]["_drill"]
    li = (await api.client.get(data_url("gmv_by_month"), params={"leader": str(ids["leaders"][1])})).json()
    assert table(li, "month", "gmv") == [("2026-02", 200), ("2026-03", 30)]
    big = (await api.client.get(data_url("leader_ranking"), params={"filter": "amount >= 90"})).json()
    assert table(big, "leader", "gmv") == [("李团长", 200), ("王团长", 190)]
    bad = await api.client.get(data_url("gmv_by_month"), params={"paid_at": "yesterday-ish"})
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["path"] == "/query/paid_at"
    unknown = await api.client.get(data_url("gmv_by_month"), params={"colour": "red"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"][0] == {
        "path": "/query/colour", "code": "report_unknown_filter", "message": "cannot filter by 'colour'"}


async def test_bad_reports_are_refused_at_publish_with_their_place(api):
    doc = app(report(measures=[{"agg": "count", "as": "n"}, {"agg": "sum", "field": "colour", "as": "x"}]),
              report(key="r2", dimensions=[{"field": "status", "bucket": "month", "as": "m"}],
                     measures=[{"agg": "sum", "field": "no", "as": "n"}],
                     metrics=[{"as": "k", "expr": "n / ghost"}], sort=[{"by": "zzz"}]),
              report(key="r3", source="nothing", measures=[{"agg": "count", "as": "n"}]),
              report(key="r4", filter="amount >", measures=[]))
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    found = [(d["path"], d["code"]) for d in response.json()["error"]["details"]]
    assert found == [("/reports/0/measures/1/field", "expr_unknown_field"),
                     ("/reports/1/dimensions/0/bucket", "report_bucket_needs_date"),
                     ("/reports/1/measures/0/field", "report_needs_number"),
                     ("/reports/1/metrics/0/expr", "expr_unknown_field"),
                     ("/reports/1/sort/0/by", "report_unknown_output"),
                     ("/reports/2/source", "unknown_form"),
                     ("/reports/3/filter", "expr_syntax"),
                     ("/reports/3/measures", "report_no_measures")]


async def test_excel_export(api):
    await seed(api)
    response = await api.client.get("/api/apps/shop/reports/gmv_by_month/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["月份", "GMV", "订单数", "买家数", "客单价", "growth", "share"]
    assert rows[1][:4] == ["2026-01", 230, 3, 2]
    assert rows[-1][:4] == ["Total", 660, 8, 3]


async def test_a_write_refreshes_the_cached_result(api):
    ids = await seed(api)
    first = (await api.client.get(data_url("leader_ranking"))).json()
    assert (await api.client.get(data_url("leader_ranking"))).json() == first
    created = await api.client.post(records_url("order"), json={
        "customer": ids["customers"][2], "leader": ids["leaders"][1], "status": "paid", "amount": 300,
        "paid_at": "2026-03-05T10:00:00"})
    assert created.status_code == 201
    assert table((await api.client.get(data_url("leader_ranking"))).json(), "leader", "gmv") == [
        ("李团长", 530), ("王团长", 430)]
    order_id = created.json()["id"]
    assert (await api.client.delete(f"{records_url('order')}/{order_id}")).status_code == 204
    assert (await api.client.get(data_url("leader_ranking"))).json()["rows"] == first["rows"]


async def test_dashboard_widgets_share_filters(api):
    board = {"key": "main", "name": "经营看板",
             "filters": [{"key": "period", "label": "日期", "type": "date_range",
                          "targets": {"gmv_by_month": "paid_at", "leader_ranking": "paid_at"}}],
             "widgets": [{"report": "gmv_by_month", "x": 0, "y": 0, "w": 12, "h": 6},
                         {"report": "leader_ranking", "w": 12, "h": 6, "title": "排行"},
                         {"report": "margin", "x": 0, "y": 6, "w": 24, "h": 4}]}
    ids = await seed(api, app(*app()["reports"], dashboards=[board],
                              menus=[{"label": "看板", "dashboard": "main"}]))
    answer = await api.client.get("/api/apps/shop/dashboards/main", params={"period": "2026-03-01..2026-03-31"})
    assert answer.status_code == 200, answer.text
    widgets = answer.json()["widgets"]
    assert [(w["report"], w["x"], w["y"]) for w in widgets] == [("gmv_by_month", 0, 0), ("leader_ranking", 12, 0),
                                                               ("margin", 0, 6)]
    assert table(widgets[0]["data"], "month", "gmv") == [("2026-03", 190)]
    assert table(widgets[1]["data"], "leader", "gmv") == [("王团长", 160), ("李团长", 30)]
    mine = (await ids["wang"].get("/api/apps/shop/dashboards/main", params={"period": "2026-03-01..2026-03-31"})).json()
    assert table(mine["widgets"][1]["data"], "leader", "gmv") == [("王团长", 160)]
    assert mine["widgets"][2]["error"]["code"] == "report_not_allowed" and "data" not in mine["widgets"][2]
    chart = {"type": "pie", "x": "month"}  # a chart naming a dimension the report does not have
    refused = await api.client.post(PREVIEW, json=report(measures=[{"agg": "count", "as": "n"}], chart=chart))
    assert [d["path"] for d in refused.json()["error"]["details"]] == ["/chart/x"]
    bad = await api.client.get("/api/apps/shop/dashboards/main", params={"period": "March"})
    assert bad.status_code == 400
    assert (await api.client.get("/api/apps/shop/dashboards/nothing")).status_code == 404


async def test_the_template_dashboard_runs(api):
    import json

    from tests.conftest import TEMPLATE_PATH

    await api.import_app(json.loads(TEMPLATE_PATH.read_text()), demo_data=True)
    listed = (await api.client.get("/api/apps/scrm/reports")).json()["items"]
    assert {"gmv_by_month", "leader_ranking", "repurchase"} <= {r["key"] for r in listed}
    board = await api.client.get("/api/apps/scrm/dashboards/main", params={"period": "2000-01-01..2100-01-01"})
    assert board.status_code == 200, board.text
    assert all("data" in w for w in board.json()["widgets"]), board.text
