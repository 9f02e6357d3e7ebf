"""The tag library: groups and colours, counts per tags field, renames and deletions that reach every record
(with audit entries and new versions), managed by administrators and read by the app's readers."""
from __future__ import annotations

from sqlalchemy import select

from runtime.models import audit_log
from tests.runtime.people import add_user, bearer, token_of

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "customer", "name": "客户", "fields": [
            {"key": "name", "type": "text"}, {"key": "tags", "type": "tags"}, {"key": "interests", "type": "tags"},
            {"key": "vip", "type": "formula", "expr": "IF(HAS_TAG(tags, '高价值'), '是', '否')"}]},
        {"key": "note", "name": "备注", "fields": [{"key": "text", "type": "text"}]},
    ],
    "roles": [{"key": "sales", "name": "销售", "permissions": [{"form": "customer", "ops": ["read", "create"],
                                                               "rows": "own"}]},
              {"key": "clerk", "name": "文员", "permissions": [{"form": "note", "ops": ["read"]}]}],
}
BASE = "/api/apps/shop"


async def _customers(api, *items):
    response = await api.client.post(f"{BASE}/forms/customer/records/bulk", json={"items": list(items)})
    assert response.status_code == 201, response.text
    return response.json()["ids"]


async def _record(api, record_id):
    return (await api.client.get(f"{BASE}/forms/customer/records/{record_id}")).json()


async def test_library_with_groups_colours_and_counts(api):
    await api.import_app(APP)
    await _customers(api, {"name": "甲", "tags": ["高价值", "宝妈"], "interests": ["宝妈"]},
                     {"name": "乙", "tags": ["宝妈"]}, {"name": "丙", "tags": ["沉睡"]}, {"name": "丁"})
    group = await api.client.post(f"{BASE}/tag-groups", json={"name": "客户价值", "color": "gold"})
    assert group.status_code == 201, group.text
    created = await api.client.post(f"{BASE}/tags", json={"name": " 高价值 ", "group": group.json()["id"],
                                                          "color": "#fa8c16", "description": "累计消费超过 5000"})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "高价值"
    await api.client.post(f"{BASE}/tags", json={"name": "宝妈", "color": "magenta"})
    body = (await api.client.get(f"{BASE}/tags")).json()
    assert body["groups"] == [{"id": group.json()["id"], "name": "客户价值", "color": "gold", "position": 0}]
    by_name = {t["name"]: t for t in body["tags"]}
    assert by_name["高价值"]["group"] == group.json()["id"] and by_name["高价值"]["color"] == "#fa8c16"
    assert by_name["高价值"]["counts"] == {"customer.tags": 1}
    assert by_name["宝妈"]["counts"] == {"customer.tags": 2, "customer.interests": 1}
    assert by_name["宝妈"]["total"] == 3
    assert body["unlisted"] == [{"name": "沉睡", "counts": {"customer.tags": 1}, "total": 1}]
    assert body["fields"] == ["customer.tags", "customer.interests"]


async def test_mistakes_are_named(api):
    await api.import_app(APP)
    await api.client.post(f"{BASE}/tags", json={"name": "宝妈"})
    again = await api.client.post(f"{BASE}/tags", json={"name": "宝妈"})
    assert again.status_code == 422 and again.json()["error"]["details"][0]["path"] == "/name"
    bad = await api.client.post(f"{BASE}/tags", json={"name": "x" * 41, "color": "not a colour!"})
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json()["error"]["details"]} == {"/name", "/color"}
    lost = await api.client.post(f"{BASE}/tags", json={"name": "新", "group": 999})
    assert lost.status_code == 422 and lost.json()["error"]["details"][0]["path"] == "/group"
    assert (await api.client.patch(f"{BASE}/tags/999", json={"color": "red"})).status_code == 404


async def test_rename_reaches_every_record_with_audit_and_versions(api):
    await api.import_app(APP)
    ids = await _customers(api, {"name": "甲", "tags": ["VIP", "宝妈"], "interests": ["VIP"]},
                           {"name": "乙", "tags": ["宝妈", "高价值", "VIP"]}, {"name": "丙", "tags": ["沉睡"]})
    tag = (await api.client.post(f"{BASE}/tags", json={"name": "VIP"})).json()
    response = await api.client.patch(f"{BASE}/tags/{tag['id']}", json={"name": "高价值"})
    assert response.status_code == 200, response.text
    assert response.json()["records_changed"] == {"customer.tags": 2, "customer.interests": 1}
    first, second, third = [await _record(api, i) for i in ids]
    assert first["tags"] == ["高价值", "宝妈"] and first["interests"] == ["高价值"]
    assert second["tags"] == ["宝妈", "高价值"]  # already there: kept once, in its first place
    assert third["tags"] == ["沉睡"] and third["version"] == 1
    assert (first["version"], second["version"]) == (3, 2)  # one new version per tags field changed
    assert first["vip"] == "是"  # the formula reading tags is recomputed
    async with api.platform.engine.connect() as conn:
        entries = (await conn.execute(select(audit_log.c.record_id, audit_log.c.action, audit_log.c.detail)
                                      .where(audit_log.c.action == "tag_renamed").order_by(audit_log.c.id))).all()
    assert [(e.record_id, e.detail["field"]) for e in entries] == [(ids[0], "tags"), (ids[1], "tags"),
                                                                   (ids[0], "interests")]
    assert entries[0].detail == {"field": "tags", "tag": "VIP", "to": "高价值"}
    stale = await api.client.patch(f"{BASE}/forms/customer/records/{ids[0]}", json={"name": "甲2", "version": 1})
    assert stale.status_code == 409


async def test_delete_takes_the_tag_out_of_records(api):
    await api.import_app(APP)
    ids = await _customers(api, {"name": "甲", "tags": ["VIP"]}, {"name": "乙", "tags": ["宝妈", "VIP", "沉睡"]})
    tag = (await api.client.post(f"{BASE}/tags", json={"name": "VIP"})).json()
    response = await api.client.delete(f"{BASE}/tags/{tag['id']}")
    assert response.json() == {"records_changed": {"customer.tags": 2}}
    assert (await _record(api, ids[0]))["tags"] is None  # an emptied list is empty
    assert (await _record(api, ids[1]))["tags"] == ["宝妈", "沉睡"]
    assert (await api.client.get(f"{BASE}/tags")).json()["tags"] == []
    filtered = await api.client.get(f"{BASE}/forms/customer/records", params={"filter": "ISBLANK(tags)"})
    assert [r["id"] for r in filtered.json()["items"]] == [ids[0]]


async def test_deleting_a_group_keeps_its_tags(api):
    await api.import_app(APP)
    group = (await api.client.post(f"{BASE}/tag-groups", json={"name": "生命周期"})).json()
    await api.client.post(f"{BASE}/tags", json={"name": "沉睡", "group": group["id"]})
    renamed = await api.client.patch(f"{BASE}/tag-groups/{group['id']}", json={"name": "阶段", "color": "blue"})
    assert renamed.json()["name"] == "阶段"
    assert (await api.client.delete(f"{BASE}/tag-groups/{group['id']}")).status_code == 204
    body = (await api.client.get(f"{BASE}/tags")).json()
    assert body["groups"] == [] and body["tags"][0]["group"] is None


async def test_readers_read_counts_in_their_scope_and_only_admins_manage(api):
    await api.import_app(APP)
    sales = await add_user(api, "sales1")
    clerk = await add_user(api, "clerk1")
    await add_user(api, "nobody")
    for user_id, role in ((sales, "sales"), (clerk, "clerk")):
        assert (await api.client.post(f"/api/admin/users/{user_id}/roles",
                                      json={"app": "shop", "role": role})).status_code in (200, 201, 204)
    await _customers(api, {"name": "甲", "tags": ["VIP"]})
    seller = bearer(await token_of(api, "sales1"))
    mine = await api.client.post(f"{BASE}/forms/customer/records", json={"name": "乙", "tags": ["VIP"]},
                                 headers=seller)
    assert mine.status_code == 201
    await api.client.post(f"{BASE}/tags", json={"name": "VIP"})
    seen = (await api.client.get(f"{BASE}/tags", headers=seller)).json()
    assert seen["tags"][0]["counts"] == {"customer.tags": 1}  # own rows only
    assert (await api.client.get(f"{BASE}/tags")).json()["tags"][0]["counts"] == {"customer.tags": 2}
    clerk_view = (await api.client.get(f"{BASE}/tags", headers=bearer(await token_of(api, "clerk1")))).json()
    assert clerk_view["tags"][0]["counts"] == {}  # reads notes, not customers
    assert (await api.client.get(f"{BASE}/tags", headers=bearer(await token_of(api, "nobody")))).status_code == 403
    refused = await api.client.post(f"{BASE}/tags", json={"name": "新"}, headers=seller)
    assert refused.status_code == 403
