"""Views at run time: the app's views and each person's saved views of a form, saved views checked like the app's
(problems by pointer), private to their owner, their filters limited to what the owner may see; and the kanban
move — an ordinary record PATCH with the version, refused when someone changed the card meanwhile."""
from __future__ import annotations

from tests.runtime.people import add_user, bearer, token_of

APP = {
    "format": "nocode.app/v1", "key": "work", "name": "工作",
    "forms": [{"key": "task", "name": "任务", "title_field": "title", "fields": [
        {"key": "title", "type": "text", "required": True},
        {"key": "status", "type": "select", "options": ["todo", "doing", "done"], "default": "todo"},
        {"key": "start", "type": "date"}, {"key": "due", "type": "date"},
        {"key": "cost", "type": "number"},
        {"key": "parent", "type": "relation", "target": "task"}]}],
    "views": [
        {"key": "board", "form": "task", "name": "任务看板", "type": "kanban", "group_by": "status",
         "card_fields": ["due"]},
        {"key": "plan", "form": "task", "name": "计划", "type": "gantt", "start": "start", "end": "due"},
    ],
    "roles": [{"key": "member", "name": "成员", "permissions": [
        {"form": "task", "ops": ["read", "update"], "fields": {"cost": "hidden"}}]}],
}
BASE = "/api/apps/work/forms/task"
MINE = {"key": "late", "name": "逾期", "type": "table", "columns": ["title", "due"], "filter": "due < TODAY()",
        "colors": [{"when": "status = 'todo'", "color": "#ff4d4f"}], "group_by": "status"}


async def _member(api, username: str) -> dict:
    user_id = await add_user(api, username)
    response = await api.client.post(f"/api/admin/users/{user_id}/roles", json={"app": "work", "role": "member"})
    assert response.status_code in (200, 201, 204), response.text
    return bearer(await token_of(api, username))


async def test_lists_the_apps_views_then_the_persons_own(api):
    await api.import_app(APP)
    listed = (await api.client.get(f"{BASE}/views")).json()["items"]
    assert [(v["key"], v["type"], v["id"], v["saved"]) for v in listed] == [
        ("board", "kanban", None, False), ("plan", "gantt", None, False)]
    assert listed[0]["group_by"] == "status" and listed[0]["form"] == "task"
    saved = await api.client.post(f"{BASE}/views", json=MINE)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["saved"] is True and body["form"] == "task" and body["colors"][0]["color"] == "#ff4d4f"
    listed = (await api.client.get(f"{BASE}/views")).json()["items"]
    assert [v["key"] for v in listed] == ["board", "plan", "late"]
    assert listed[2]["id"] == body["id"] and "problem" not in listed[2]


async def test_a_saved_view_is_checked_like_the_apps(api):
    await api.import_app(APP)
    bad = await api.client.post(f"{BASE}/views", json=MINE | {"type": "calendar", "date": "title"})
    assert bad.status_code == 422
    details = [(d["path"], d["message"]) for d in bad.json()["error"]["details"]]
    assert details[0][0] in ("/columns", "/group_by")  # settings of another type are unknown keys
    bad = await api.client.post(f"{BASE}/views", json={"name": "日历", "type": "calendar", "date": "title"},
                                headers={"Accept-Language": "en"})
    assert [(d["path"], d["message"]) for d in bad.json()["error"]["details"]] == [
        ("/date", "'title' must be a date or date-time field")]
    again = await api.client.post(f"{BASE}/views", json=MINE | {"key": "board"})
    assert again.status_code == 422 and again.json()["error"]["details"][0]["path"] == "/key"
    other_form = await api.client.post(f"{BASE}/views", json=MINE | {"form": "order"})
    assert other_form.json()["error"]["details"][0]["path"] == "/form"
    keyless = await api.client.post(f"{BASE}/views", json={"name": "全部", "type": "table"})
    assert keyless.status_code == 201 and keyless.json()["key"].startswith("mine_")


async def test_saved_views_are_private_and_changed_only_by_their_owner(api):
    await api.import_app(APP)
    alice = await _member(api, "alice")
    bob = await _member(api, "bob")
    created = await api.client.post(f"{BASE}/views", json=MINE, headers=alice)
    assert created.status_code == 201, created.text
    view_id = created.json()["id"]
    assert [v["key"] for v in (await api.client.get(f"{BASE}/views", headers=bob)).json()["items"]] == [
        "board", "plan"]
    same_key = await api.client.post(f"{BASE}/views", json=MINE, headers=bob)
    assert same_key.status_code == 201  # keys are per person
    assert (await api.client.put(f"{BASE}/views/{view_id}", json=MINE, headers=bob)).status_code == 403
    assert (await api.client.delete(f"{BASE}/views/{view_id}", headers=bob)).status_code == 403
    changed = await api.client.put(f"{BASE}/views/{view_id}", json=MINE | {"name": "已逾期", "filter": None},
                                   headers=alice)
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "已逾期" and "filter" not in changed.json()
    assert (await api.client.put(f"{BASE}/views/99999", json=MINE, headers=alice)).status_code == 404
    assert (await api.client.delete(f"{BASE}/views/{view_id}", headers=alice)).status_code == 204
    assert [v["key"] for v in (await api.client.get(f"{BASE}/views", headers=alice)).json()["items"]] == [
        "board", "plan"]


async def test_a_saved_filter_may_not_read_a_hidden_field(api):
    await api.import_app(APP)
    alice = await _member(api, "alice")
    refused = await api.client.post(f"{BASE}/views", json=MINE | {"filter": "cost > 100"}, headers=alice)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["path"] == "/filter"
    assert (await api.client.post(f"{BASE}/views", json=MINE | {"filter": "cost > 100"})).status_code == 201


async def test_a_saved_view_the_app_outgrew_is_listed_with_its_problem(api):
    await api.import_app(APP)
    assert (await api.client.post(f"{BASE}/views", json=MINE)).status_code == 201
    changed = {**APP, "forms": [{**APP["forms"][0], "fields": [f for f in APP["forms"][0]["fields"]
                                                               if f["key"] != "due"]}],
               "views": [APP["views"][0]]}
    changed["views"][0] = {**changed["views"][0], "card_fields": []}
    response = await api.client.put("/api/apps/work/draft", json=changed)
    assert response.status_code in (200, 204), response.text
    published = await api.client.post("/api/apps/work/publish")
    assert published.status_code in (200, 201), published.text
    listed = (await api.client.get(f"{BASE}/views")).json()["items"]
    assert [v["key"] for v in listed] == ["board", "late"]
    assert "due" in listed[1]["problem"]


async def test_moving_a_kanban_card_is_a_versioned_record_update(api):
    await api.import_app(APP)
    created = (await api.client.post(f"{BASE}/records", json={"title": "写文档"})).json()
    moved = await api.client.patch(f"{BASE}/records/{created['id']}",
                                   json={"status": "doing", "version": created["version"]})
    assert moved.status_code == 200 and moved.json()["status"] == "doing"
    stale = await api.client.patch(f"{BASE}/records/{created['id']}",
                                   json={"status": "done", "version": created["version"]})
    assert stale.status_code == 409


async def test_views_of_an_unknown_form_or_one_not_readable(api):
    await api.import_app(APP)
    assert (await api.client.get("/api/apps/work/forms/ghost/views")).status_code == 404
    user_id = await add_user(api, "nobody")
    assert user_id
    nobody = bearer(await token_of(api, "nobody"))
    assert (await api.client.get(f"{BASE}/views", headers=nobody)).status_code == 403
