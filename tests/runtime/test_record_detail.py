"""The record page's extras: the viewer's field access to a form, and the records of other forms that point at a
record, each form within the viewer's own rights."""
from __future__ import annotations

from tests.runtime.detail_app import detail_app, person, url


async def _shop(api):
    """Customer 1 (sales' own), customer 2 (not theirs); orders by the admin and by sales; a follow-up; a secret."""
    await api.import_app(detail_app())
    sales, as_sales = await person(api, "sales", "sales")
    for name, owner in (("张三", sales), ("李四", None)):
        assert (await api.client.post(url("customer"), json={"name": name, "owner_id": owner})).status_code == 201
    assert (await api.client.post(url("order"), json={"no": "A1", "customer": 1})).status_code == 201
    assert (await api.client.post(url("order"), json={"no": "A2", "customer": 2, "lines": [
        {"gift_for": 1, "cost": 5}]})).status_code == 201
    mine = await api.client.post(url("order"), json={"no": "S1", "customer": 1}, headers=as_sales)
    assert mine.status_code == 201, mine.text
    await api.client.post(url("followup"), json={"text": "回访", "customers": [1, 2]})
    await api.client.post(url("secret"), json={"text": "内部", "customer": 1})
    return as_sales


def _by_place(body) -> dict:
    return {(item["form"], item["field"]): item for item in body["items"]}


async def test_an_admin_sees_every_relation_pointing_at_the_record(api):
    await _shop(api)
    response = await api.client.get(url("customer", "/1/related"))
    assert response.status_code == 200, response.text
    found = _by_place(response.json())
    assert set(found) == {("order", "customer"), ("order", "lines.gift_for"), ("followup", "customers"),
                          ("secret", "customer")}
    orders = found[("order", "customer")]
    assert orders["count"] == 2 and orders["name"] == "订单" and orders["label"] == "客户"
    assert [o["no"] for o in orders["latest"]] == ["S1", "A1"]  # newest first
    assert found[("order", "lines.gift_for")]["label"] == "明细 · 赠送给"
    assert [o["no"] for o in found[("order", "lines.gift_for")]["latest"]] == ["A2"]
    assert found[("followup", "customers")]["count"] == 1
    none = _by_place((await api.client.get(url("customer", "/2/related"))).json())
    assert none[("secret", "customer")] == {"form": "secret", "name": "内部", "field": "customer",
                                             "label": "customer", "count": 0, "latest": []}


async def test_a_viewer_sees_related_records_within_their_own_rights(api):
    as_sales = await _shop(api)
    response = await api.client.get(url("customer", "/1/related"), headers=as_sales)
    assert response.status_code == 200, response.text
    found = _by_place(response.json())
    # no secret form (not readable), no follow-ups (the relation is hidden), only their own orders
    assert set(found) == {("order", "customer"), ("order", "lines.gift_for")}
    assert [o["no"] for o in found[("order", "customer")]["latest"]] == ["S1"]
    assert found[("order", "customer")]["count"] == 1 and found[("order", "lines.gift_for")]["count"] == 0
    assert (await api.client.get(url("customer", "/2/related"), headers=as_sales)).status_code == 404
    assert (await api.client.get(url("customer", "/99/related"))).status_code == 404


async def test_the_form_access_says_what_the_server_enforces(api):
    as_sales = await _shop(api)
    _, as_helper = await person(api, "helper", "helper")
    _, as_nobody = await person(api, "nobody", None)
    access = await api.client.get("/api/apps/crm/forms/customer/access", headers=as_sales)
    assert access.status_code == 200, access.text
    assert access.json() == {"ops": ["read", "update"], "hidden": ["note"], "readonly": ["credit"]}
    order = (await api.client.get("/api/apps/crm/forms/order/access", headers=as_sales)).json()
    assert order == {"ops": ["read", "create"], "hidden": ["lines.cost"], "readonly": []}
    helper = (await api.client.get("/api/apps/crm/forms/customer/access", headers=as_helper)).json()
    assert helper["ops"] == [] and set(helper["hidden"]) == {"name", "credit", "note", "owner_id"}
    admin = (await api.client.get("/api/apps/crm/forms/customer/access")).json()
    assert admin == {"ops": ["read", "create", "update", "delete", "import", "export"], "hidden": [], "readonly": []}
    assert (await api.client.get("/api/apps/crm/forms/customer/access", headers=as_nobody)).status_code == 403
    assert (await api.client.get("/api/apps/crm/forms/nope/access")).status_code == 404
