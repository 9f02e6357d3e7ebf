"""Segments (人群): saved filters over a form's fields and tags (and decision tables), counted live through the
viewer's row scope, listed like the records API; changed or deleted by their creator or an administrator."""
from __future__ import annotations

from tests.runtime.people import add_user, bearer, token_of

APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户",
    "forms": [{"key": "customer", "name": "客户", "fields": [
        {"key": "name", "type": "text"}, {"key": "spent", "type": "money"}, {"key": "level", "type": "text"},
        {"key": "tags", "type": "tags"}, {"key": "secret", "type": "text"}]}],
    "decision_tables": [{"key": "tier", "inputs": ["spent"], "outputs": ["name"], "hit": "unique",
                         "rows": [{"when": ["< 1000"], "then": ["普通"]}, {"when": ["[1000..5000)"], "then": ["银卡"]},
                                  {"when": [">= 5000"], "then": ["金卡"]}]}],
    "roles": [{"key": "sales", "name": "销售", "permissions": [
        {"form": "customer", "ops": ["read", "create"], "rows": "own", "fields": {"secret": "hidden"}}]}],
}
BASE = "/api/apps/crm"
CUSTOMERS = [{"name": "甲", "spent": 8000, "tags": ["宝妈"]}, {"name": "乙", "spent": 1200, "tags": ["宝妈", "沉睡"]},
             {"name": "丙", "spent": 300}, {"name": "丁", "spent": 5000, "tags": ["沉睡"]}]


async def _setup(api):
    await api.import_app(APP)
    response = await api.client.post(f"{BASE}/forms/customer/records/bulk", json={"items": CUSTOMERS})
    return response.json()["ids"]


async def test_segments_count_live_and_list_their_records(api):
    ids = await _setup(api)
    gold = await api.client.post(f"{BASE}/segments", json={
        "name": "金卡宝妈", "form": "customer", "filter": "DECIDE('tier', spent).name = '金卡' AND HAS_TAG(tags, '宝妈')"})
    assert gold.status_code == 201, gold.text
    await api.client.post(f"{BASE}/segments", json={"name": "沉睡客户", "form": "customer",
                                                     "filter": "HAS_TAG(tags, '沉睡')", "description": "唤醒名单"})
    listed = (await api.client.get(f"{BASE}/segments")).json()
    assert [(s["name"], s["count"]) for s in listed] == [("金卡宝妈", 1), ("沉睡客户", 2)]
    assert listed[1]["description"] == "唤醒名单"
    records = (await api.client.get(f"{BASE}/segments/{listed[1]['id']}/records", params={"sort": "-spent"})).json()
    assert [r["id"] for r in records["items"]] == [ids[3], ids[1]] and records["total"] == 2
    await api.client.patch(f"{BASE}/forms/customer/records/{ids[2]}", json={"tags": ["沉睡"], "version": 1})
    assert (await api.client.get(f"{BASE}/segments")).json()[1]["count"] == 3  # live, not stored


async def test_a_bad_filter_is_refused_with_its_position(api):
    await _setup(api)
    response = await api.client.post(f"{BASE}/segments", json={"name": "x", "form": "customer",
                                                                "filter": "spent > 100 AND nope = 1"})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["path"], detail["position"]) == ("/filter", 16)
    wrong_form = await api.client.post(f"{BASE}/segments", json={"name": "x", "form": "order", "filter": "TRUE"})
    assert wrong_form.json()["error"]["details"][0]["path"] == "/form"
    await api.client.post(f"{BASE}/segments", json={"name": "x", "form": "customer", "filter": "spent > 1"})
    twice = await api.client.post(f"{BASE}/segments", json={"name": "x", "form": "customer", "filter": "TRUE"})
    assert twice.json()["error"]["details"][0]["path"] == "/name"


async def test_counts_and_records_follow_the_viewers_scope(api):
    await _setup(api)
    sales = await add_user(api, "sales1")
    await api.client.post(f"/api/admin/users/{sales}/roles", json={"app": "crm", "role": "sales"})
    seller = bearer(await token_of(api, "sales1"))
    await api.client.post(f"{BASE}/forms/customer/records", json={"name": "戊", "spent": 9000, "tags": ["宝妈"]},
                          headers=seller)
    made = await api.client.post(f"{BASE}/segments", json={"name": "高消费", "form": "customer",
                                                           "filter": "spent >= 5000"}, headers=seller)
    assert made.status_code == 201, made.text
    assert [s["count"] for s in (await api.client.get(f"{BASE}/segments", headers=seller)).json()] == [1]
    assert [s["count"] for s in (await api.client.get(f"{BASE}/segments")).json()] == [3]
    mine = (await api.client.get(f"{BASE}/segments/{made.json()['id']}/records", headers=seller)).json()
    assert [r["name"] for r in mine["items"]] == ["戊"]
    hidden = await api.client.post(f"{BASE}/segments", json={"name": "秘密", "form": "customer",
                                                             "filter": "secret = 'x'"}, headers=seller)
    assert hidden.status_code == 422 and hidden.json()["error"]["details"][0]["code"] == "field_hidden"


async def test_only_the_creator_or_an_admin_changes_a_segment(api):
    await _setup(api)
    sales = await add_user(api, "sales1")
    await api.client.post(f"/api/admin/users/{sales}/roles", json={"app": "crm", "role": "sales"})
    seller = bearer(await token_of(api, "sales1"))
    segment = (await api.client.post(f"{BASE}/segments", json={"name": "银卡", "form": "customer",
                                                                 "filter": "DECIDE('tier', spent).name = '银卡'"})).json()
    assert (await api.client.patch(f"{BASE}/segments/{segment['id']}", json={"name": "改"}, headers=seller)
            ).status_code == 403
    changed = await api.client.patch(f"{BASE}/segments/{segment['id']}", json={"filter": "spent < 1000"})
    assert changed.status_code == 200 and changed.json()["filter"] == "spent < 1000"
    bad = await api.client.patch(f"{BASE}/segments/{segment['id']}", json={"filter": "spent <"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["path"] == "/filter"
    assert (await api.client.delete(f"{BASE}/segments/{segment['id']}")).status_code == 204
    assert (await api.client.get(f"{BASE}/segments/{segment['id']}/records")).status_code == 404
