"""The admin API as a platform admin uses it: users, departments, roles per app, API keys, sessions, the audit
log — each with its refusals (403 for others, 404 for unknown ids, 422 naming the place). Both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from runtime.models import departments, users
from tests.runtime.people import CRM_APP, PASSWORD, add_user, bearer, login, token_of, with_key


def places(response) -> list[tuple[str, str]]:
    return [(d["path"], d["code"]) for d in response.json()["error"]["details"]]


async def count(api, table) -> int:
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def make_department(api, name: str, **extra) -> int:
    response = await api.client.post("/api/admin/departments", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def audit(api, **params) -> list[dict]:
    response = await api.client.get("/api/admin/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


ADMIN_ROUTES = [
    ("GET", "/api/admin/users", None), ("POST", "/api/admin/users", {"username": "x", "password": PASSWORD}),
    ("GET", "/api/admin/users/1", None), ("PATCH", "/api/admin/users/1", {"name": "x"}),
    ("DELETE", "/api/admin/users/1", None), ("GET", "/api/admin/users/1/sessions", None),
    ("POST", "/api/admin/users/1/roles", {"app": "crm", "role": "sales"}),
    ("GET", "/api/admin/departments", None), ("POST", "/api/admin/departments", {"name": "x"}),
    ("GET", "/api/admin/api-keys", None), ("POST", "/api/admin/api-keys", {"name": "k", "app": "crm", "role": "sales"}),
    ("DELETE", "/api/admin/api-keys/1", None), ("GET", "/api/admin/audit", None),
]


async def test_only_platform_admins_get_in(api):
    await api.import_app(CRM_APP)
    await add_user(api, "amy")
    amy = bearer(await token_of(api, "amy"))
    key = (await api.client.post("/api/admin/api-keys", json={"name": "k", "app": "crm", "role": "sales"})).json()["key"]
    for method, url, body in ADMIN_ROUTES:
        anonymous = await api.client.request(method, url, json=body, headers={"Authorization": ""})
        assert anonymous.status_code == 401, url
        member = await api.client.request(method, url, json=body, headers=amy)
        assert member.status_code == 403 and member.json()["error"]["code"] == "forbidden", url
        keyed = await api.client.request(method, url, json=body, headers=with_key(key))
        assert keyed.status_code == 403 and keyed.json()["error"]["code"] == "api_key_not_allowed", url
    assert await count(api, users) == 2 and await count(api, departments) == 0  # nothing was changed


# ---- users -------------------------------------------------------------------------------------------------

async def test_creating_and_finding_users(api):
    sales = await make_department(api, "销售部")
    east = await make_department(api, "华东", parent=sales)
    made = await api.client.post("/api/admin/users", json={
        "username": "amy", "password": PASSWORD, "name": "王艾米", "departments": [sales], "department": east,
        "manager": api.user_id})
    assert made.status_code == 201, made.text
    amy = made.json()
    assert amy["username"] == "amy" and amy["name"] == "王艾米" and amy["is_active"] and not amy["is_admin"]
    assert amy["departments"] == [{"id": sales, "name": "销售部"}, {"id": east, "name": "华东"}]
    assert amy["manager"] == {"id": api.user_id, "username": "admin", "name": "管理员"} and amy["roles"] == []
    assert (await login(api, "amy")).status_code == 200
    for n in range(3):
        await api.client.post("/api/admin/users", json={"username": f"user{n}", "password": PASSWORD})

    everyone = await api.client.get("/api/admin/users")
    assert everyone.json()["total"] == 5 and "password" not in everyone.text and "$argon2" not in everyone.text
    found = (await api.client.get("/api/admin/users", params={"q": "艾米"})).json()
    assert [u["username"] for u in found["items"]] == ["amy"] and found["items"][0]["departments"] == [sales, east]
    assert [u["username"] for u in (await api.client.get("/api/admin/users", params={"department": east})).json()["items"]] == ["amy"]
    second_page = (await api.client.get("/api/admin/users", params={"page": 2, "page_size": 2})).json()
    assert [u["username"] for u in second_page["items"]] == ["user0", "user1"] and second_page["total"] == 5
    assert (await api.client.get(f"/api/admin/users/{amy['id']}")).json() == amy
    assert (await api.client.get("/api/admin/users/999")).status_code == 404
    assert (await api.client.get("/api/admin/users", params={"page_size": 1000})).status_code == 422
    assert (await audit(api, action="user_created"))[-1]["detail"]["username"] == "amy"


async def test_a_bad_new_user_is_explained_and_not_created(api):
    await add_user(api, "amy")
    taken = await api.client.post("/api/admin/users", json={
        "username": "amy", "password": "amy", "departments": [77], "department": 78, "manager": 99})
    assert taken.status_code == 422
    assert places(taken) == [("/username", "username_taken"), ("/password", "password_too_short"),
                             ("/password", "password_too_simple"), ("/password", "password_is_username"),
                             ("/departments/0", "unknown_department"), ("/department", "unknown_department"),
                             ("/manager", "unknown_user")]
    assert "amy" in taken.json()["error"]["details"][0]["message"]
    odd = await api.client.post("/api/admin/users", json={"username": "has space", "password": PASSWORD, "role": "x"})
    assert odd.status_code == 422 and {p for p, _ in places(odd)} == {"/username", "/role"}
    assert await count(api, users) == 2


async def test_changing_a_user(api):
    amy = await add_user(api, "amy")
    bob = await add_user(api, "bob")
    team = await make_department(api, "团队")
    changed = await api.client.patch(f"/api/admin/users/{amy}", json={"name": "Amy Wang", "manager": bob,
                                                                        "departments": [team], "is_admin": True})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "Amy Wang" and body["manager"]["id"] == bob and body["is_admin"]
    assert body["departments"] == [{"id": team, "name": "团队"}]
    cleared = (await api.client.patch(f"/api/admin/users/{amy}", json={"manager": None, "departments": []})).json()
    assert cleared["manager"] is None and cleared["departments"] == [] and cleared["name"] == "Amy Wang"

    await api.client.patch(f"/api/admin/users/{bob}", json={"manager": amy})
    circle = await api.client.patch(f"/api/admin/users/{amy}", json={"manager": bob})
    assert circle.status_code == 422 and places(circle) == [("/manager", "manager_cycle")]
    self_managed = await api.client.patch(f"/api/admin/users/{amy}", json={"manager": amy})
    assert places(self_managed) == [("/manager", "manager_cycle")]
    assert places(await api.client.patch(f"/api/admin/users/{amy}", json={"manager": 404})) == [("/manager", "unknown_user")]
    assert places(await api.client.patch(f"/api/admin/users/{amy}", json={"departments": [5]})) == [
        ("/departments/0", "unknown_department")]
    assert (await api.client.patch("/api/admin/users/999", json={"name": "x"})).status_code == 404
    assert (await api.client.get(f"/api/admin/users/{amy}")).json()["manager"] is None  # refusals changed nothing
    entry = (await audit(api, action="user_changed"))[-1]
    assert entry["detail"]["changes"]["is_admin"] is True and entry["user"]["username"] == "admin"


async def test_an_admin_setting_a_password_signs_the_user_out_everywhere(api):
    amy = await add_user(api, "amy")
    token = await token_of(api, "amy")
    weak = await api.client.patch(f"/api/admin/users/{amy}", json={"password": "qwerty123"})
    assert weak.status_code == 422 and places(weak) == [("/password", "password_too_common")]
    assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 200
    assert (await api.client.patch(f"/api/admin/users/{amy}", json={"password": "Brand-new-9"})).status_code == 200
    assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 401
    assert (await login(api, "amy", "Brand-new-9")).status_code == 200
    assert (await audit(api, action="user_changed"))[0]["detail"]["changes"] == {"password": "changed"}


async def test_a_locked_user_can_be_unlocked(api):
    amy = await add_user(api, "amy")
    for _ in range(5):
        await login(api, "amy", "wrong")
    assert (await login(api, "amy")).status_code == 429
    assert (await api.client.get(f"/api/admin/users/{amy}")).json()["locked_until"] is not None
    await api.client.patch(f"/api/admin/users/{amy}", json={"unlock": True})
    assert (await login(api, "amy")).status_code == 200


async def test_deactivating_keeps_the_user_and_never_the_last_admin(api):
    demote = await api.client.patch(f"/api/admin/users/{api.user_id}", json={"is_admin": False})
    assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_admin"
    assert (await api.client.delete(f"/api/admin/users/{api.user_id}")).status_code == 409
    assert (await api.client.patch(f"/api/admin/users/{api.user_id}", json={"is_active": False})).status_code == 409

    amy = await add_user(api, "amy")
    token = await token_of(api, "amy")
    assert (await api.client.delete(f"/api/admin/users/{amy}")).status_code == 204
    assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 401
    assert (await login(api, "amy")).status_code == 401
    listed = (await api.client.get("/api/admin/users", params={"active": False})).json()["items"]
    assert [(u["username"], u["is_active"]) for u in listed] == [("amy", False)]
    assert (await api.client.delete("/api/admin/users/999")).status_code == 404
    assert (await api.client.patch(f"/api/admin/users/{amy}", json={"is_active": True})).status_code == 200
    assert (await login(api, "amy")).status_code == 200

    boss = await add_user(api, "boss", is_admin=True)
    assert (await api.client.delete(f"/api/admin/users/{api.user_id}")).status_code == 204  # another admin remains
    assert (await api.client.get("/api/me")).status_code == 401
    assert boss


async def test_admins_see_and_end_a_users_sessions(api):
    amy = await add_user(api, "amy")
    laptop, phone = await token_of(api, "amy"), await token_of(api, "amy")
    listed = (await api.client.get(f"/api/admin/users/{amy}/sessions")).json()
    assert len(listed) == 2 and not any(s["current"] for s in listed)
    one = listed[0]["id"]
    assert (await api.client.delete(f"/api/admin/users/{amy}/sessions/{one}")).status_code == 204
    assert (await api.client.delete(f"/api/admin/users/{amy}/sessions/{one}")).status_code == 404
    assert len((await api.client.get(f"/api/admin/users/{amy}/sessions")).json()) == 1
    assert (await api.client.delete(f"/api/admin/users/{amy}/sessions")).status_code == 204
    for token in (laptop, phone):
        assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 401
    assert (await api.client.get("/api/admin/users/999/sessions")).status_code == 404


# ---- roles -------------------------------------------------------------------------------------------------

async def test_granting_and_taking_away_roles(api):
    await api.import_app(CRM_APP)
    amy = await add_user(api, "amy")
    token = await token_of(api, "amy")
    for role in ("sales", "viewer", "sales"):
        granted = await api.client.post(f"/api/admin/users/{amy}/roles", json={"app": "crm", "role": role})
        assert granted.status_code == 200, granted.text
    assert granted.json()["roles"] == [{"app": "crm", "roles": ["sales", "viewer"]}]
    me = (await api.client.get("/api/me", headers=bearer(token))).json()
    assert me["roles"] == [{"app": "crm", "roles": ["sales", "viewer"]}]
    assert (await api.client.get("/api/apps/crm/forms/customer/records", headers=bearer(token))).status_code == 200

    unknown = await api.client.post(f"/api/admin/users/{amy}/roles", json={"app": "crm", "role": "boss"})
    assert places(unknown) == [("/role", "unknown_role")]
    assert "sales, viewer" in unknown.json()["error"]["details"][0]["message"]
    assert places(await api.client.post(f"/api/admin/users/{amy}/roles", json={"app": "nope", "role": "x"})) == [
        ("/app", "unknown_app")]
    assert (await api.client.post("/api/admin/users/999/roles", json={"app": "crm", "role": "sales"})).status_code == 404

    assert (await api.client.request("DELETE", f"/api/admin/users/{amy}/roles",
                                     json={"app": "crm", "role": "sales"})).status_code == 204
    assert (await api.client.delete(f"/api/admin/users/{amy}/roles/crm/viewer")).status_code == 204
    assert (await api.client.delete(f"/api/admin/users/{amy}/roles/crm/viewer")).status_code == 404
    assert (await api.client.get(f"/api/admin/users/{amy}")).json()["roles"] == []
    assert (await api.client.get("/api/apps/crm/forms/customer/records", headers=bearer(token))).status_code == 403

    entries = await audit(api, app="crm")
    assert [e["action"] for e in entries] == ["role_revoked", "role_revoked", "role_granted", "role_granted",
                                              "app_imported"]
    assert entries[0]["detail"] == {"user": amy, "username": "amy", "role": "viewer"} and entries[0]["app"] == "crm"


# ---- departments -------------------------------------------------------------------------------------------

async def test_the_department_tree(api):
    amy, bob = await add_user(api, "amy"), await add_user(api, "bob")
    hq = await make_department(api, "总部", head=amy)
    sales = await make_department(api, "销售部", parent=hq, position=2)
    ops = await make_department(api, "运营部", parent=hq, position=1)
    east = await make_department(api, "华东", parent=sales)
    added = await api.client.post(f"/api/admin/departments/{sales}/members", json={"users": [amy, bob, amy]})
    assert [m["username"] for m in added.json()["members"]] == ["amy", "bob"]
    tree = (await api.client.get("/api/admin/departments")).json()
    assert [(d["name"], d["head"]) for d in tree] == [("总部", {"id": amy, "name": "Amy"})]
    assert [(c["name"], c["member_count"]) for c in tree[0]["children"]] == [("运营部", 0), ("销售部", 2)]
    assert tree[0]["children"][1]["children"][0]["id"] == east
    detail = (await api.client.get(f"/api/admin/departments/{sales}")).json()
    assert detail["parent"] == hq and detail["children"] == [east]

    circle = await api.client.patch(f"/api/admin/departments/{hq}", json={"parent": east})
    assert circle.status_code == 422 and places(circle) == [("/parent", "department_cycle")]
    assert places(await api.client.patch(f"/api/admin/departments/{hq}", json={"parent": hq})) == [
        ("/parent", "department_cycle")]
    assert places(await api.client.patch(f"/api/admin/departments/{hq}", json={"head": 999})) == [("/head", "unknown_user")]
    assert places(await api.client.post("/api/admin/departments", json={"name": "x", "parent": 999})) == [
        ("/parent", "unknown_department")]
    assert places(await api.client.post(f"/api/admin/departments/{hq}/members", json={"users": [999]})) == [
        ("/users/0", "unknown_user")]
    moved = await api.client.patch(f"/api/admin/departments/{east}", json={"parent": None, "name": "华东大区", "head": bob})
    assert moved.status_code == 200 and moved.json()["parent"] is None and moved.json()["head"]["id"] == bob
    assert [d["name"] for d in (await api.client.get("/api/admin/departments")).json()] == ["总部", "华东大区"]
    assert (await api.client.patch("/api/admin/departments/999", json={"name": "x"})).status_code == 404

    removed = await api.client.request("DELETE", f"/api/admin/departments/{sales}/members", json={"users": [bob]})
    assert [m["username"] for m in removed.json()["members"]] == ["amy"]
    busy = await api.client.delete(f"/api/admin/departments/{hq}")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "department_not_empty"
    assert "1" in busy.json()["error"]["message"] and "2" in busy.json()["error"]["message"]
    assert (await api.client.delete(f"/api/admin/departments/{hq}", params={"force": True})).status_code == 204
    assert [d["id"] for d in (await api.client.get("/api/admin/departments")).json()] == [east]
    assert (await api.client.get(f"/api/admin/users/{amy}")).json()["departments"] == []  # the user stays
    assert (await api.client.delete(f"/api/admin/departments/{east}")).status_code == 204
    assert (await api.client.delete(f"/api/admin/departments/{east}")).status_code == 404
    actions = [e["action"] for e in await audit(api) if e["action"].startswith("department")]
    assert actions[:3] == ["department_deleted", "department_deleted", "department_members_removed"]


async def test_me_names_my_departments_and_roles(api):
    await api.import_app(CRM_APP)
    amy = await add_user(api, "amy")
    team = await make_department(api, "团队")
    await api.client.post(f"/api/admin/departments/{team}/members", json={"users": [amy]})
    await api.client.post(f"/api/admin/users/{amy}/roles", json={"app": "crm", "role": "viewer"})
    me = (await api.client.get("/api/me", headers=bearer(await token_of(api, "amy")))).json()
    assert me == {"id": amy, "username": "amy", "name": "Amy", "is_admin": False,
                  "departments": [{"id": team, "name": "团队"}], "roles": [{"app": "crm", "roles": ["viewer"]}]}


# ---- API keys and the audit log ----------------------------------------------------------------------------

async def test_api_keys_are_shown_once_and_refused_for_unknown_apps_or_roles(api):
    await api.import_app(CRM_APP)
    made = await api.client.post("/api/admin/api-keys", json={"name": "ERP", "app": "crm", "role": "viewer"})
    assert made.status_code == 201
    listed = (await api.client.get("/api/admin/api-keys")).json()
    assert [(k["name"], k["app"], k["role"], k["prefix"]) for k in listed] == [("ERP", "crm", "viewer", made.json()["prefix"])]
    assert made.json()["key"] not in str(listed) and all("key" not in k for k in listed)
    assert places(await api.client.post("/api/admin/api-keys", json={"name": "x", "app": "crm", "role": "root"})) == [
        ("/role", "unknown_role")]
    assert places(await api.client.post("/api/admin/api-keys", json={"name": "x", "app": "nope", "role": "root"})) == [
        ("/app", "unknown_app")]
    assert places(await api.client.post("/api/admin/api-keys", json={"app": "crm", "role": "viewer"})) == [
        ("/name", "schema")]
    assert (await api.client.delete("/api/admin/api-keys/999")).status_code == 404
    assert [e["action"] for e in await audit(api, app="crm")] == ["api_key_created", "app_imported"]


async def test_the_audit_log_says_who_published_which_version(api):
    await api.import_app(CRM_APP)
    draft = {**CRM_APP, "name": "客户管理 2"}
    assert (await api.client.put("/api/apps/crm/draft", json=draft)).status_code == 200
    assert (await api.client.post("/api/apps/crm/publish")).status_code == 200
    assert (await api.client.post("/api/apps/crm/rollback", json={"version": 1})).status_code == 200
    entries = await audit(api, app="crm")
    assert [(e["action"], e["detail"]["version"]) for e in entries] == [
        ("app_rolled_back", 3), ("app_published", 2), ("app_imported", 1)]
    assert entries[0]["detail"]["to"] == 1 and all(e["user"]["id"] == api.user_id for e in entries)
    assert [e["action"] for e in await audit(api, action="app_published")] == ["app_published"]
    assert await audit(api, user=999) == []
    assert await audit(api, since="2999-01-01") == []
    assert len(await audit(api, until="2999-01-01T00:00:00+08:00")) == 3
    paged = (await api.client.get("/api/admin/audit", params={"page": 2, "page_size": 2})).json()
    assert paged["total"] == 3 and [e["action"] for e in paged["items"]] == ["app_imported"]
    bad = await api.client.get("/api/admin/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and places(bad) == [("/since", "bad_datetime")]
    assert places(await api.client.get("/api/admin/audit", params={"app": "nope"})) == [("/app", "unknown_app")]


@pytest.mark.parametrize("url", ["/api/admin/users", "/api/admin/departments"])
async def test_an_oversized_body_is_refused_and_changes_nothing(api, url):
    huge = {"username": "big", "password": PASSWORD, "name": "x" * (5 * 1024 * 1024)}
    response = await api.client.post(url, json=huge)
    assert response.status_code == 413
    assert await count(api, users) == 1 and await count(api, departments) == 0
