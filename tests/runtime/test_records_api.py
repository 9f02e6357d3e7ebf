"""The records API on both databases: create, read, list, patch, delete and bulk, as API.md describes."""
from __future__ import annotations

from tests.runtime.apps import all_types_app, records_url


async def seed(api):
    await api.import_app(all_types_app())
    c = (await api.client.post(records_url("customer"), json={"name": "张三", "phone": "138 0000 0001", "tags": ["VIP"]})).json()
    p1 = (await api.client.post(records_url("product"), json={"name": "荔枝", "price": "59.9"})).json()
    p2 = (await api.client.post(records_url("product"), json={"name": "大米", "price": 69})).json()
    return c, p1, p2


async def test_create_returns_the_whole_record_with_system_fields(api):
    c, p1, p2 = await seed(api)
    assert c["phone"] == "13800000001" and c["level"] == "普通" and c["version"] == 1
    assert c["created_by"] == api.user_id and c["owner"] == api.user_id
    response = await api.client.post(records_url("order"), json={
        "customer": c["id"], "gifts": [p1["id"], {"id": p2["id"]}], "channels": ["社群", "直播"],
        "lines": [{"product": p1["id"], "qty": 2, "price": 59.9}, {"product": p2["id"], "qty": 1, "price": "69"}],
        "amount": 188.8, "discount": "15%", "weight": 1.234, "paid_on": "2026/11/20", "paid_at": "2026-11-20T10:15:00",
        "gift_wrap": "是", "remark": "多\n行", "tags": "团购, 复购"})
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["no"].startswith("DD") and len(order["no"]) == 14
    assert order["customer"] == {"id": c["id"], "title": "张三"}
    assert order["gifts"] == [{"id": p1["id"], "title": "荔枝"}, {"id": p2["id"], "title": "大米"}]
    assert [(line["qty"], line["price"], line["product"]["title"]) for line in order["lines"]] == [(2, 59.9, "荔枝"), (1, 69, "大米")]
    assert order["status"] == "paid" and order["discount"] == 15 and order["weight"] == 1.23
    assert order["paid_on"] == "2026-11-20" and order["paid_at"] == "2026-11-20T10:15:00+08:00"
    assert order["gift_wrap"] is True and order["tags"] == ["团购", "复购"] and order["channels"] == ["社群", "直播"]
    fetched = (await api.client.get(f"{records_url('order')}/{order['id']}")).json()
    assert fetched == order


async def test_autonumbers_count_up_without_gaps(api):
    c, _, _ = await seed(api)
    numbers = []
    for _ in range(3):
        numbers.append((await api.client.post(records_url("order"), json={"customer": c["id"]})).json()["no"])
    bulk = await api.client.post(records_url("order") + "/bulk", json={"items": [{"customer": c["id"]}] * 2})
    assert bulk.status_code == 201
    listed = (await api.client.get(records_url("order"), params={"sort": "id"})).json()["items"]
    numbers = [r["no"] for r in listed]
    assert [int(n[-4:]) for n in numbers] == [1, 2, 3, 4, 5]


async def test_list_pages_sorts_filters_and_searches(api):
    await api.import_app(all_types_app())
    items = [{"name": f"客户{i:02d}", "phone": f"1380000{i:04d}", "level": "VIP" if i % 3 == 0 else "普通",
              "tags": ["老客"] if i % 2 else []} for i in range(1, 26)]
    assert (await api.client.post(records_url("customer") + "/bulk", json={"items": items})).status_code == 201
    page = (await api.client.get(records_url("customer"), params={"page": 2, "page_size": 10, "sort": "name"})).json()
    assert page["total"] == 25 and page["page"] == 2 and [r["name"] for r in page["items"]][0] == "客户11"
    desc = (await api.client.get(records_url("customer"), params={"sort": "-name", "page_size": 3})).json()
    assert [r["name"] for r in desc["items"]] == ["客户25", "客户24", "客户23"]
    vip = (await api.client.get(records_url("customer"), params={"level": "VIP", "page_size": 100})).json()
    assert vip["total"] == 8 and all(r["level"] == "VIP" for r in vip["items"])
    by_label = (await api.client.get(records_url("customer"), params={"level": "VIP", "tags": "老客"})).json()
    assert by_label["total"] == 4
    found = (await api.client.get(records_url("customer"), params={"q": "0000012"})).json()
    assert [r["name"] for r in found["items"]] == ["客户12"]
    wild = (await api.client.get(records_url("customer"), params={"q": "%"})).json()
    assert wild["total"] == 0


async def test_patch_needs_the_current_version(api):
    c, _, _ = await seed(api)
    url = f"{records_url('customer')}/{c['id']}"
    ok = await api.client.patch(url, json={"version": 1, "email": "A@Example.COM"})
    assert ok.status_code == 200 and ok.json()["email"] == "A@example.com" and ok.json()["version"] == 2
    stale = await api.client.patch(url, json={"version": 1, "name": "李四"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert (await api.client.get(url)).json()["name"] == "张三"
    missing = await api.client.patch(url, json={"name": "李四"})
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["path"] == "/version"
    cleared_required = await api.client.patch(url, json={"version": 2, "name": ""})
    assert cleared_required.status_code == 422
    assert cleared_required.json()["error"]["details"] == [{"path": "/name", "code": "required", "message": "is required"}]


async def test_patch_edits_subtable_rows_in_place_and_replaces_links(api):
    c, p1, p2 = await seed(api)
    order = (await api.client.post(records_url("order"), json={
        "customer": c["id"], "gifts": [p1["id"]],
        "lines": [{"product": p1["id"], "qty": 1, "price": 1}, {"product": p2["id"], "qty": 2, "price": 2}]})).json()
    first, second = order["lines"]
    response = await api.client.patch(f"{records_url('order')}/{order['id']}", json={
        "version": order["version"], "gifts": [p2["id"]],
        "lines": [{**second, "qty": 5}, {"product": p1["id"], "qty": 9, "price": 3}]})
    assert response.status_code == 200, response.text
    lines = response.json()["lines"]
    assert lines[0]["id"] == second["id"] and lines[0]["qty"] == 5
    assert lines[1]["id"] not in (first["id"], second["id"]) and lines[1]["qty"] == 9
    assert response.json()["gifts"] == [{"id": p2["id"], "title": "大米"}]


async def test_delete_removes_the_record_and_empties_links_to_it(api):
    c, p1, _ = await seed(api)
    order = (await api.client.post(records_url("order"), json={
        "customer": c["id"], "gifts": [p1["id"]], "lines": [{"product": p1["id"], "qty": 1, "price": 1}]})).json()
    assert (await api.client.delete(f"{records_url('product')}/{p1['id']}")).status_code == 204
    after = (await api.client.get(f"{records_url('order')}/{order['id']}")).json()
    assert after["gifts"] == [] and after["lines"][0]["product"] is None
    assert (await api.client.delete(f"{records_url('order')}/{order['id']}")).status_code == 204
    gone = await api.client.get(f"{records_url('order')}/{order['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert (await api.client.delete(f"{records_url('order')}/{order['id']}")).status_code == 404


async def test_bulk_is_all_or_nothing_and_names_index_and_field(api):
    await api.import_app(all_types_app())
    items = [{"name": "甲", "phone": "13800000001"}, {"name": "乙", "phone": "bad"}, {"phone": "13800000001"}]
    response = await api.client.post(records_url("customer") + "/bulk", json={"items": items})
    assert response.status_code == 422
    paths = {(d["path"], d["code"]) for d in response.json()["error"]["details"]}
    assert paths == {("/items/1/phone", "bad_phone"), ("/items/2/name", "required"),
                     ("/items/2/phone", "duplicate_in_batch")}
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0


async def test_relations_must_point_at_existing_records(api):
    c, p1, _ = await seed(api)
    response = await api.client.post(records_url("order"), json={
        "customer": 999, "gifts": [p1["id"], 777], "lines": [{"product": 555, "qty": 1, "price": 1}]})
    assert response.status_code == 422
    paths = sorted(d["path"] for d in response.json()["error"]["details"])
    assert paths == ["/customer", "/gifts", "/lines/0/product"]
    assert (await api.client.get(records_url("order"))).json()["total"] == 0


async def test_unknown_app_form_and_record_are_404(api):
    await api.import_app(all_types_app())
    for url in ("/api/apps/nope/forms/customer/records", records_url("nope"), records_url("customer") + "/12345"):
        response = await api.client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"


async def test_unknown_filter_and_sort_keys_are_400_with_the_place(api):
    await api.import_app(all_types_app())
    response = await api.client.get(records_url("customer"), params={"nosuch": "1", "sort": "-password"})
    assert response.status_code == 400
    assert {d["path"] for d in response.json()["error"]["details"]} == {"/query/nosuch", "/query/sort"}
    bad_value = await api.client.get(records_url("customer"), params={"phone": "12"})
    assert bad_value.status_code == 400 and bad_value.json()["error"]["details"][0]["code"] == "bad_phone"
    expression = await api.client.get(records_url("customer"), params={"filter": "level = 'VIP' AND nope > 1"})
    assert expression.status_code == 400
    assert expression.json()["error"]["details"] == [{
        "path": "/query/filter", "code": "expr_unknown_field",
        "message": "at character 19: form 'customer' has no field 'nope'", "position": 18}]


async def test_seed_data_with_references_is_loaded_through_the_write_path(api):
    import json

    from tests.conftest import TEMPLATE_PATH

    doc = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    result = await api.import_app(doc, demo_data=True)
    assert result == {"key": "scrm", "version": 1}
    customers = (await api.client.get(records_url("customer", "scrm"), params={"sort": "id"})).json()["items"]
    assert customers[0]["leader"]["title"] == "王姐"
    assert [g["title"] for g in customers[2]["communities"]] == ["阳光花园团购1群", "锦绣小区邻里群"]
    orders = (await api.client.get(records_url("order", "scrm"), params={"sort": "id"})).json()["items"]
    assert orders[0]["lines"][0]["product"]["title"].startswith("海南妃子笑荔枝")


async def test_the_scrm_template_totals_its_order_lines(api):
    import json

    from tests.conftest import TEMPLATE_PATH

    await api.import_app(json.loads(TEMPLATE_PATH.read_text(encoding="utf-8")), demo_data=True)
    orders = (await api.client.get(records_url("order", "scrm"), params={"sort": "id"})).json()["items"]
    assert len(orders) >= 3
    for order in orders:  # each line is quantity × price (gifts free), each order the sum of its lines
        subtotals = [round(line["qty"] * (line["price"] or 0), 2) for line in order["lines"]]
        assert [line["subtotal"] for line in order["lines"]] == subtotals
        assert order["goods_total"] == round(sum(subtotals), 2)
