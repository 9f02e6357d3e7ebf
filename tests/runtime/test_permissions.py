"""Roles down to the field and the row, enforced by the server on every path: for each path a user who may
and a user who may not. Both databases."""
from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlalchemy import insert, select, update

from runtime.auth import create_user
from runtime.models import apps, department_members, departments, user_roles, users
from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户管理",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "phone", "type": "phone"},
            {"key": "credit", "type": "money", "label": "授信额度"},
            {"key": "note", "type": "text"}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text"},
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "handler", "type": "member"},
            {"key": "helpers", "type": "member", "many": True},
            {"key": "amount", "type": "money"},
            {"key": "credit", "type": "lookup", "relation": "customer", "field": "credit"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "qty", "type": "number"}, {"key": "cost", "type": "money"}]}]},
    ],
    "roles": [
        {"key": "sales", "name": "销售", "permissions": [
            {"form": "customer", "ops": ["read", "create", "update"], "rows": "own",
             "fields": {"credit": "hidden", "phone": "readonly"}}]},
        {"key": "manager", "name": "主管", "permissions": [
            {"form": "customer", "ops": ["read", "update", "delete", "export", "import", "create"],
             "rows": "subordinates", "fields": {"credit": "readonly"}},
            {"form": "order", "ops": ["read"], "rows": "all", "fields": {"lines.cost": "hidden"}}]},
        {"key": "viewer", "name": "只读", "permissions": [
            {"form": "customer", "ops": ["read"], "rows": "department"},
            {"form": "order", "ops": ["read"], "rows": "member"}]},
        {"key": "handler", "name": "经办", "permissions": [
            {"form": "order", "ops": ["read", "update"], "rows": "handler = CURRENT_USER()"}]},
    ],
}


class People:
    """Signed-in clients for each person, and their ids."""

    def __init__(self, api):
        self.api = api
        self.ids: dict[str, int] = {"admin": api.user_id}
        self.clients: dict[str, httpx.AsyncClient] = {"admin": api.client}

    async def add(self, name: str, roles: list[str], manager: str | None = None, department: int | None = None):
        async with self.api.platform.engine.begin() as conn:
            uid = await create_user(conn, name, "Passw0rd!x", name=name)
            app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "crm"))).scalar_one()
            for role in roles:
                await conn.execute(insert(user_roles).values(user_id=uid, app_id=app_id, role=role))
            if manager:
                await conn.execute(update(users).where(users.c.id == uid).values(manager_id=self.ids[manager]))
            if department:
                await conn.execute(insert(department_members).values(department_id=department, user_id=uid))
        client = httpx.AsyncClient(transport=self.api.client._transport, base_url=str(self.api.client.base_url))
        token = (await client.post("/api/auth/login", json={"username": name, "password": "Passw0rd!x"})).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        self.ids[name], self.clients[name] = uid, client
        return client

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]


async def _department(api, name: str, parent: int | None = None) -> int:
    async with api.platform.engine.begin() as conn:
        return (await conn.execute(insert(departments).values(name=name, parent_id=parent, created_at=datetime(2026, 1, 1))
                                   .returning(departments.c.id))).scalar_one()


@pytest.fixture
async def people(api):
    await api.import_app(APP)
    crowd = People(api)
    east = await _department(api, "华东")
    shanghai = await _department(api, "上海", parent=east)
    await crowd.add("boss", ["manager"])
    await crowd.add("alice", ["sales"], manager="boss", department=shanghai)
    await crowd.add("bob", ["sales"], department=await _department(api, "华南"))
    await crowd.add("vera", ["viewer"], department=east)
    await crowd.add("hank", ["handler"])
    await crowd.add("nobody", [])
    return crowd


async def _customer(client, **values) -> dict:
    response = await client.post(records_url("customer", "crm"), json={"name": "客户", **values})
    assert response.status_code == 201, response.text
    return response.json()


async def _names(client, form: str = "customer", **params) -> list[str]:
    response = await client.get(records_url(form, "crm"), params=params)
    assert response.status_code == 200, response.text
    return sorted(r.get("name") or r.get("no") for r in response.json()["items"])


def _codes(response) -> set[tuple[str, str]]:
    return {(p["path"], p["code"]) for p in response.json()["error"]["details"]}


async def test_rows_follow_the_scope_of_each_role(people):
    await _customer(people["alice"], name="A1")
    await _customer(people["bob"], name="B1")
    await _customer(people["boss"], name="M1")
    await _customer(people["admin"], name="X1")
    assert await _names(people["alice"]) == ["A1"]  # own
    assert await _names(people["bob"]) == ["B1"]
    assert await _names(people["boss"]) == ["A1", "M1"]  # own and the people managed
    assert await _names(people["vera"]) == ["A1"]  # owned by someone of 华东 or a department below it
    assert await _names(people["admin"]) == ["A1", "B1", "M1", "X1"]
    listed = await people["alice"].get(records_url("customer", "crm"))
    assert listed.json()["total"] == 1  # counts never include rows out of reach
    assert (await people["nobody"].get(records_url("customer", "crm"))).status_code == 403
    assert (await people["hank"].get(records_url("customer", "crm"))).status_code == 403  # no customer permission


async def test_a_record_out_of_reach_does_not_exist_for_the_caller(people):
    theirs = await _customer(people["bob"], name="B1")
    url = f"{records_url('customer', 'crm')}/{theirs['id']}"
    assert (await people["alice"].get(url)).status_code == 404
    assert (await people["alice"].patch(url, json={"name": "x", "version": 1})).status_code == 404
    assert (await people["boss"].delete(url)).status_code == 404  # bob is not boss's report
    assert (await people["bob"].get(url)).status_code == 200
    assert (await people["bob"].delete(url)).status_code == 403  # sales may not delete at all
    assert (await people["admin"].get(url)).json()["name"] == "B1"


async def test_hidden_fields_are_never_shown_written_filtered_or_sorted(people):
    mine = await _customer(people["alice"], name="A1", note="好客户")
    assert "credit" not in mine and mine["phone"] is None
    await people["admin"].patch(f"{records_url('customer', 'crm')}/{mine['id']}", json={"credit": 5000, "version": 1})
    shown = (await people["alice"].get(f"{records_url('customer', 'crm')}/{mine['id']}")).json()
    assert "credit" not in shown
    for params in ({"filter": "credit > 1000"}, {"filter": "credit > 1000 OR TRUE"}, {"sort": "-credit"},
                   {"credit": "5000"}):
        refused = await people["alice"].get(records_url("customer", "crm"), params=params)
        assert refused.status_code == 400 and {c for _, c in _codes(refused)} == {"field_hidden"}, params
    assert await _names(people["alice"], q="5000") == []  # text search skips what one may not see
    created = await people["alice"].post(records_url("customer", "crm"), json={"name": "A2", "credit": 1})
    assert created.status_code == 422 and _codes(created) == {("/credit", "field_not_writable")}
    readonly = await people["alice"].patch(f"{records_url('customer', 'crm')}/{mine['id']}",
                                           json={"phone": "13800000000", "version": shown["version"]})
    assert readonly.status_code == 422 and _codes(readonly) == {("/phone", "field_not_writable")}
    fine = await people["alice"].patch(f"{records_url('customer', 'crm')}/{mine['id']}",
                                       json={"note": "很好", "version": shown["version"]})
    assert fine.status_code == 200 and fine.json()["note"] == "很好"
    assert (await people["admin"].get(f"{records_url('customer', 'crm')}/{mine['id']}")).json()["credit"] == 5000


async def test_no_one_writes_a_record_into_someone_elses_rows(people):
    bob = people.ids["bob"]
    refused = await people["alice"].post(records_url("customer", "crm"), json={"name": "A9", "owner": bob})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "row_out_of_scope"
    mine = await _customer(people["alice"], name="A1")
    moved = await people["alice"].patch(f"{records_url('customer', 'crm')}/{mine['id']}",
                                        json={"owner": bob, "version": mine["version"]})
    assert moved.status_code == 403
    assert await _names(people["admin"]) == ["A1"]  # nothing of the refused writes was kept
    assert (await people["admin"].get(f"{records_url('customer', 'crm')}/{mine['id']}")).json()["owner"] == \
        people.ids["alice"]
    bulk = await people["alice"].post(records_url("customer", "crm") + "/bulk", json={"items": [
        {"name": "ok"}, {"name": "bad", "credit": 9}]})
    assert bulk.status_code == 422 and _codes(bulk) == {("/items/1/credit", "field_not_writable")}
    assert await _names(people["admin"]) == ["A1"]


async def test_export_and_import_need_their_own_operations_and_keep_the_scope(people):
    await _customer(people["alice"], name="A1")
    await _customer(people["bob"], name="B1")
    assert (await people["alice"].get(records_url("customer", "crm") + "/export")).status_code == 403
    exported = await people["boss"].get(records_url("customer", "crm") + "/export", params={"format": "csv"})
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    assert "A1" in text and "B1" not in text
    sheet = b"name\nN1\n"
    assert (await people["alice"].post(records_url("customer", "crm") + "/import",
                                       files={"file": ("c.csv", sheet)})).status_code == 403
    with_credit = await people["boss"].post(records_url("customer", "crm") + "/import",
                                            files={"file": ("c.csv", b"name,credit\nN1,100\n")})
    assert with_credit.status_code == 422
    assert await _names(people["admin"]) == ["A1", "B1"]
    imported = await people["boss"].post(records_url("customer", "crm") + "/import", files={"file": ("c.csv", sheet)})
    assert imported.status_code == 200, imported.text
    assert "N1" in await _names(people["boss"])


async def test_member_and_expression_scopes_and_what_links_show(people):
    hank, vera = people.ids["hank"], people.ids["vera"]
    secret = await _customer(people["admin"], name="机密客户", credit=9000)
    for no, handler, helpers in (("O1", hank, [vera]), ("O2", None, [vera]), ("O3", hank, None), ("O4", None, None)):
        created = await people["admin"].post(records_url("order", "crm"), json={
            "no": no, "handler": handler, "helpers": helpers, "customer": secret["id"],
            "lines": [{"qty": 1, "cost": 3}]})
        assert created.status_code == 201, created.text
    assert await _names(people["hank"], "order") == ["O1", "O3"]  # handler = CURRENT_USER()
    assert await _names(people["vera"], "order") == ["O1", "O2"]  # a member field holds me
    seen = (await people["boss"].get(records_url("order", "crm"))).json()["items"]
    assert len(seen) == 4
    order = seen[0]
    assert "cost" not in order["lines"][0] and order["lines"][0]["qty"] == 1  # hidden inside sub-table rows
    assert order["credit"] == 9000  # boss may read customer credit
    by_hank = (await people["hank"].get(records_url("order", "crm"))).json()["items"][0]
    # hank may not read customers: the link shows no title, the lookup of a customer field is hidden
    assert by_hank["customer"] == {"id": secret["id"], "title": f"#{secret['id']}"}
    assert "credit" not in by_hank
    refused = await people["hank"].get(records_url("order", "crm"), params={"filter": "customer.name = '机密客户'"})
    assert refused.status_code == 400 and {c for _, c in _codes(refused)} == {"field_hidden"}
    # hank may update his own orders only
    mine = next(o for o in (await people["hank"].get(records_url("order", "crm"))).json()["items"] if o["no"] == "O1")
    ok = await people["hank"].patch(f"{records_url('order', 'crm')}/{mine['id']}", json={"amount": 10, "version": mine["version"]})
    assert ok.status_code == 200
    away = await people["hank"].patch(f"{records_url('order', 'crm')}/{mine['id']}",
                                      json={"handler": vera, "version": ok.json()["version"]})
    assert away.status_code == 403  # he may not hand the order out of his own reach


async def test_the_app_list_shows_only_apps_where_one_holds_a_role(people):
    assert [a["key"] for a in (await people["alice"].get("/api/apps")).json()] == ["crm"]
    assert (await people["nobody"].get("/api/apps")).json() == []
    assert (await people["nobody"].get("/api/apps/crm")).status_code == 403
    assert (await people["alice"].get("/api/apps/crm")).status_code == 200
    # building apps is for platform admins
    assert (await people["alice"].post("/api/apps/crm/publish")).status_code == 403
    assert (await people["alice"].put("/api/apps/crm/draft", json=APP)).status_code == 403
    assert (await people["alice"].post("/api/apps/import", json={**APP, "key": "other"})).status_code == 403


async def test_roles_are_checked_at_publish(api):
    bad = {**APP, "roles": [
        {"key": "r", "name": "R", "permissions": [
            {"form": "ghost", "ops": ["read"]},
            {"form": "customer", "ops": ["read"], "fields": {"nope": "hidden"}, "rows": "credit >"},
            {"form": "customer", "ops": ["read"], "rows": "member"}]},
        {"key": "r", "name": "again"}]}
    response = await api.client.post("/api/apps/import", json=bad)
    assert response.status_code == 422
    assert _codes(response) == {
        ("/roles/0/permissions/0/form", "unknown_form"), ("/roles/0/permissions/1/fields/nope", "unknown_field"),
        ("/roles/0/permissions/1/rows", "expr_syntax"), ("/roles/0/permissions/2/rows", "scope_needs_member"),
        ("/roles/1/key", "duplicate_key")}



async def test_printing_and_duplicates_see_only_what_the_caller_may(people):
    mine = await _customer(people["alice"], name="A1")
    await people["admin"].patch(f"{records_url('customer', 'crm')}/{mine['id']}",
                                json={"credit": 987654, "phone": "13800000001", "version": 1})
    theirs = await _customer(people["bob"], name="B1")
    await people["admin"].patch(f"{records_url('customer', 'crm')}/{theirs['id']}",
                                json={"phone": "+86 138 0000 0001", "version": 1})
    base = "/api/apps/crm/forms/customer"
    printed = await people["alice"].get(f"{base}/records/{mine['id']}/print")
    assert printed.status_code == 200, printed.text
    assert "A1" in printed.text and "987654" not in printed.text and "987,654" not in printed.text
    assert (await people["alice"].get(f"{base}/records/{theirs['id']}/print")).status_code == 404
    assert (await people["hank"].get(f"{base}/records/{mine['id']}/print")).status_code == 403
    assert (await people["hank"].get(f"{base}/print-templates")).status_code == 403
    # the two share a phone, but alice sees only her own record: no duplicates for her, one group for admin
    assert (await people["alice"].get(f"{base}/duplicates", params={"fields": "phone"})).json()["total"] == 0
    assert (await people["admin"].get(f"{base}/duplicates", params={"fields": "phone"})).json()["total"] == 1
    merged = await people["alice"].post(f"{base}/records/merge", json={"keep": mine["id"], "merge": [theirs["id"]]})
    assert merged.status_code in (403, 404)
    assert (await people["admin"].get(f"{records_url('customer', 'crm')}/{theirs['id']}")).status_code == 200


async def test_one_links_only_to_records_one_may_read(people):
    hidden_customer = await _customer(people["admin"], name="X")
    mine = (await people["admin"].post(records_url("order", "crm"), json={"no": "O1", "handler": people.ids["hank"]})).json()
    linked = await people["hank"].patch(f"{records_url('order', 'crm')}/{mine['id']}",
                                        json={"customer": hidden_customer["id"], "version": mine["version"]})
    assert linked.status_code == 422 and _codes(linked) == {("/customer", "missing_record")}


async def test_a_record_keeps_its_history_and_shows_it_to_those_who_may_read_it(people):
    mine = await _customer(people["alice"], name="A1", note="初始")
    url = f"{records_url('customer', 'crm')}/{mine['id']}"
    changed = await people["alice"].patch(url, json={"note": "改过", "version": mine["version"]})
    await people["admin"].patch(url, json={"credit": 100, "version": changed.json()["version"]})
    history = (await people["admin"].get(url + "/audit")).json()
    assert [e["action"] for e in history["items"]] == ["update", "update", "create"]
    assert history["items"][1]["detail"] == {"changes": {"note": ["初始", "改过"]}}
    assert history["items"][1]["user"] == {"id": people.ids["alice"], "name": "alice"}
    assert history["items"][0]["detail"] == {"changes": {"credit": [None, 100.0]}}
    # alice may read the record but not its credit: that change shows no values
    seen = (await people["alice"].get(url + "/audit")).json()
    assert seen["items"][0]["detail"] == {"changes": {}}
    assert (await people["bob"].get(url + "/audit")).status_code == 404
    assert (await people["admin"].delete(url)).status_code == 204
    gone = (await people["admin"].get(url + "/audit")).json()["items"][0]
    assert gone["action"] == "delete" and gone["detail"]["snapshot"]["note"] == "改过"
