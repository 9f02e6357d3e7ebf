"""Reports on both databases: numbers worked out by hand from 10 seeded orders (tests/runtime/report_app.py), in
the deployment's time zone; the viewer's rows and hidden fields; publish-time validation; drill-down, filters,
Excel export, the cache and dashboards."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.runtime.apps import records_url
from tests.runtime.report_app import (CUSTOMER_TAGS, HOT, LINES, ORDERS, PRODUCTS, app, data_url, rows_app,
                                      seed)

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


# ---- a sub-table's rows as the source; tags and multi-select as dimensions --------------------------------------
async def seed_rows(api) -> dict:
    ids = await seed(api, rows_app())
    post, patch = api.client.post, api.client.patch
    ids["products"] = [(await post(records_url("product"), json={"name": n, "category": c})).json()["id"]
                       for n, c in PRODUCTS]
    orders = (await api.client.get(records_url("order"), params={"page_size": 100})).json()["items"]
    ids["orders"] = {o["no"]: o["id"] for o in orders}
    for i, lines in LINES.items():
        body = {"version": 1, "lines": [{"product": ids["products"][p], "qty": q, "price": price, "discount": 1}
                                        for p, q, price in lines]}
        response = await patch(f"{records_url('order')}/{ids['orders'][f'D{i + 1:02d}']}", json=body)
        assert response.status_code == 200, response.text
    for c, (tags, interests) in CUSTOMER_TAGS.items():
        response = await patch(f"{records_url('customer')}/{ids['customers'][c]}",
                               json={"version": 1, "tags": tags, "interests": interests})
        assert response.status_code == 200, response.text
    return ids


def hot_expected(keep=lambda order: True) -> dict[str, tuple[float, float, int]]:
    """By product name: (qty, amount, orders) over the paid orders `keep` lets through, from the rows above."""
    found: dict[str, list] = {}
    for i, lines in LINES.items():
        if ORDERS[i][2] != "paid" or not keep(ORDERS[i]):
            continue
        for p, qty, price in lines:
            entry = found.setdefault(PRODUCTS[p][0], [0, 0, set()])
            entry[0] += qty
            entry[1] += qty * price
            entry[2].add(i)
    return {name: (qty, amount, len(orders)) for name, (qty, amount, orders) in found.items()}


async def test_sub_table_rows_as_the_source(api):
    ids = await seed_rows(api)
    answer = (await api.client.get(data_url("hot"))).json()
    assert answer["report"]["drill_form"] == "order"
    expected = hot_expected()
    assert {r["product"]: (r["qty"], r["amount"], r["orders"]) for r in answer["rows"]} == expected
    assert [r["product"] for r in answer["rows"]] == sorted(expected, key=lambda n: -expected[n][1])
    total, = answer["totals"]
    assert (total["qty"], total["amount"]) == (sum(e[0] for e in expected.values()),
                                               sum(e[1] for e in expected.values()))
    # drill-down lists the parent orders having such a row
    rice = next(r for r in answer["rows"] if r["product"] == "大米")
    assert rice["_keys"] == {"product": ids["products"][1]}
    listed = (await api.client.get(records_url("order"), params={"filter": rice["_drill"]})).json()
    assert listed["total"] == rice["orders"] == 4
    # dimensions and filters through the parent: order.leader, order.paid_at, product.category
    by_leader = await preview(api, source="order.lines", filter="order.status = 'paid'",
                              dimensions=[{"field": "order.leader", "as": "leader"},
                                          {"field": "product.category", "as": "category"}],
                              measures=[{"agg": "sum", "field": "subtotal", "as": "amount"}])
    assert sorted(table(by_leader, "leader", "category", "amount")) == [
        ("李团长", "粮油", 250), ("王团长", "水果", 110), ("王团长", "粮油", 100)]
    for row in by_leader["rows"]:
        listed = (await api.client.get(records_url("order"), params={"filter": row["_drill"]})).json()
        assert listed["total"] >= 1
    march = (await api.client.get(data_url("hot"), params={"order.paid_at": "2026-03-01..2026-03-31"})).json()
    assert {r["product"]: (r["qty"], r["amount"]) for r in march["rows"]} == {
        name: e[:2] for name, e in hot_expected(lambda o: o[5] >= "2026-03-01").items()}
    li = (await api.client.get(data_url("hot"), params={"order.leader": str(ids["leaders"][1])})).json()
    assert table(li, "product", "qty", "amount") == [("大米", 5, 250)]
    months = await preview(api, source="order.lines", filter="order.status = 'paid' AND qty >= 2",
                           dimensions=[{"field": "order.paid_at", "bucket": "month", "as": "month"}],
                           measures=[{"agg": "sum", "field": "qty", "as": "qty"}])
    # the parent's time in the deployment's zone: D04 (02-01 00:30 Shanghai) is February
    assert table(months, "month", "qty") == [("2026-01", 5), ("2026-02", 4), ("2026-03", 5)]


async def test_sub_table_rows_follow_the_parents_permissions(api):
    ids = await seed_rows(api)
    wang = ids["wang"]
    answer = (await wang.get(data_url("hot"))).json()
    assert {r["product"]: (r["qty"], r["amount"]) for r in answer["rows"]} == {
        name: e[:2] for name, e in hot_expected(lambda o: o[1] == 0).items()}  # 王's orders only
    hidden_parent = await wang.get(data_url("hot"), params={"filter": "order.cost > 10"})
    assert hidden_parent.status_code == 400
    assert hidden_parent.json()["error"]["details"][0]["code"] == "field_hidden"
    doc = rows_app()
    hidden = {"hot_cost": {"agg": "sum", "field": "order.cost", "as": "c"},  # the parent's hidden field
              "hot_discount": {"agg": "sum", "field": "discount", "as": "d"}}  # the row's (lines.discount)
    doc["reports"] += [{**HOT, "key": key, "measures": [m], "sort": [], "totals": False} for key, m in hidden.items()]
    doc["version"] = "1.1.0"
    assert (await api.client.put("/api/apps/shop/draft", json=doc)).status_code in (200, 204)
    assert (await api.client.post("/api/apps/shop/publish", json={})).status_code in (200, 201)
    for key in hidden:
        refused = await wang.get(data_url(key))
        assert refused.status_code == 403, refused.text
        assert [(d["path"], d["code"]) for d in refused.json()["error"]["details"]] == [
            ("/measures/0/field", "report_field_hidden")]
        assert (await api.client.get(data_url(key))).status_code == 200
    listed = [r["key"] for r in (await wang.get("/api/apps/shop/reports")).json()["items"]]
    assert "hot" in listed and not set(hidden) & set(listed)


async def test_bad_sub_table_sources_are_refused_with_their_place(api):
    await seed_rows(api)
    for source, code in (("order.amount", "report_not_subtable"), ("nothing.lines", "unknown_form")):
        refused = await api.client.post(PREVIEW, json=report(source=source, filter=None,
                                                             measures=[{"agg": "count", "as": "n"}]))
        assert refused.status_code == 422, refused.text
        assert [(d["path"], d["code"]) for d in refused.json()["error"]["details"]] == [("/source", code)]
    many = await api.client.post(PREVIEW, json=report(source="order.lines", filter="status = 'paid'",
                                                      measures=[{"agg": "count", "as": "n"}]))
    assert [(d["path"], d["code"]) for d in many.json()["error"]["details"]] == [("/filter", "expr_unknown_field")]


async def test_tags_and_multi_select_as_dimensions(api):
    ids = await seed_rows(api)
    expected: dict = {}
    for c, (tags, _) in CUSTOMER_TAGS.items():
        for tag in tags or [None]:
            expected[tag] = expected.get(tag, 0) + 1
    answer = (await api.client.get(data_url("tags"))).json()
    assert {r["tag"]: r["n"] for r in answer["rows"]} == expected  # a customer counts once in each of their tags
    assert answer["totals"][0]["n"] == len(CUSTOMER_TAGS)  # the total counts customers, not tags
    assert answer["columns"][0]["type"] == "text"
    for row in answer["rows"]:
        listed = (await api.client.get(records_url("customer"), params={"filter": row["_drill"]})).json()
        assert listed["total"] == row["n"], row["_drill"]
    interests = (await api.client.get(data_url("interests"))).json()
    assert table(interests, "interest", "n") == [("水果", 1), ("粮油", 2), (None, 1)]  # option order, labels
    assert interests["rows"][0]["_keys"] == {"interest": "fruit"}
    for row in interests["rows"]:
        listed = (await api.client.get(records_url("customer"), params={"filter": row["_drill"]})).json()
        assert listed["total"] == row["n"], row["_drill"]
    by_tag = await preview(api, dimensions=[{"field": "customer.tags", "as": "tag"}],
                           measures=[{"agg": "sum", "field": "amount", "as": "gmv"}])
    gmv: dict = {}
    for c, _, status, amount, _, _ in ORDERS:
        if status == "paid":
            for tag in CUSTOMER_TAGS[c][0] or [None]:
                gmv[tag] = gmv.get(tag, 0) + amount
    assert {r["tag"]: r["gmv"] for r in by_tag["rows"]} == gmv
    assert ids["wang"] is not None


async def test_shares_and_rates_print_as_percentages_and_amounts_as_money(api):
    await seed(api)
    answer = await preview(api, dimensions=[{"field": "leader", "as": "leader"}],
                           measures=[{"agg": "sum", "field": "amount", "as": "gmv", "format": "money"},
                                     {"agg": "repeat_rate", "field": "customer", "as": "repeat"}],
                           metrics=[{"as": "share", "expr": "gmv / TOTAL(gmv)", "format": "percent"},
                                    {"as": "plain", "expr": "gmv / 2"}],
                           chart={"type": "table"})
    formats = {c["key"]: c.get("format") for c in answer["columns"]}
    assert formats == {"leader": None, "gmv": "money", "repeat": "percent", "share": "percent", "plain": None}
    assert {c["key"]: c.get("format") for c in answer["chart"]["columns"]}["share"] == "percent"
    refused = await api.client.post(PREVIEW, json=report(metrics=[{"as": "x", "expr": "1", "format": "permille"}]))
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["path"] == "/metrics/0/format"
