"""The newer field types through the API on both databases: people, system fields, layout items, places and
their spreadsheet cells."""
from __future__ import annotations

from datetime import datetime

from runtime.auth import create_user
from runtime.models import departments
from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户管理",
    "forms": [
        {"key": "visit", "name": "拜访", "title_field": "title", "fields": [
            {"key": "title", "type": "text", "required": True},
            {"key": "section", "type": "divider", "label": "基本信息"},
            {"key": "hint", "type": "note", "content": "请如实填写"},
            {"key": "sales", "type": "member"},
            {"key": "helpers", "type": "member", "many": True},
            {"key": "team", "type": "department"},
            {"key": "creator", "type": "created_by", "label": "创建人"},
            {"key": "editor", "type": "updated_by", "label": "修改人"},
            {"key": "made", "type": "created_at"},
            {"key": "where", "type": "region", "level": "district", "label": "地区"},
            {"key": "at", "type": "time"},
            {"key": "mood", "type": "rating"},
            {"key": "on", "type": "switch", "on_label": "开", "off_label": "关"},
            {"key": "notes", "type": "rich_text"},
            {"key": "tasks", "type": "subtable", "fields": [
                {"key": "what", "type": "text"}, {"key": "who", "type": "member"}]}]},
    ],
}


async def _people(api) -> tuple[int, int]:
    async with api.platform.engine.begin() as conn:
        sales = await create_user(conn, "lisi", "password-1234", name="李四")
        team = (await conn.execute(departments.insert().values(name="华南大区", created_at=datetime(2026, 1, 1))
                                   .returning(departments.c.id))).scalar_one()
    return sales, team


async def test_people_are_checked_and_named(api):
    await api.import_app(APP)
    sales, team = await _people(api)
    created = await api.client.post(records_url("visit", "crm"), json={
        "title": "回访", "sales": sales, "helpers": [sales, api.user_id], "team": team,
        "tasks": [{"what": "送样品", "who": {"id": sales}}]})
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["sales"] == {"id": sales, "name": "李四"}
    assert record["helpers"] == [{"id": sales, "name": "李四"}, {"id": api.user_id, "name": "管理员"}]
    assert record["team"] == {"id": team, "name": "华南大区"}
    assert record["tasks"][0]["who"] == {"id": sales, "name": "李四"}
    # the system fields show who made and changed the record, and when
    assert record["creator"] == {"id": api.user_id, "name": "管理员"} and record["editor"] == record["creator"]
    assert record["made"] == record["created_at"]
    # layout items hold no value
    assert "section" not in record and "hint" not in record
    # what a client sent back is accepted as it came
    again = await api.client.patch(f"{records_url('visit', 'crm')}/{record['id']}",
                                   json={"sales": record["sales"], "version": record["version"]})
    assert again.status_code == 200, again.text

    bad = await api.client.post(records_url("visit", "crm"), json={
        "title": "x", "sales": 999, "team": 888, "tasks": [{"who": 777}], "creator": 1, "section": "x"})
    assert bad.status_code == 422
    found = {(p["path"], p["code"]) for p in bad.json()["error"]["details"]}
    assert found == {("/sales", "unknown_user"), ("/team", "unknown_department"), ("/tasks/0/who", "unknown_user"),
                     ("/creator", "generated"), ("/section", "generated")}


async def test_system_fields_filter_and_sort(api):
    await api.import_app(APP)
    sales, _ = await _people(api)
    await api.client.post(records_url("visit", "crm"), json={"title": "一"})
    listed = await api.client.get(records_url("visit", "crm"), params={"filter": f"creator = {api.user_id}",
                                                                       "sort": "-made"})
    assert listed.status_code == 200, listed.text
    assert [r["title"] for r in listed.json()["items"]] == ["一"]
    none = await api.client.get(records_url("visit", "crm"), params={"filter": f"creator = {sales}"})
    assert none.json()["total"] == 0


async def test_places_and_pickers_round_trip_through_a_spreadsheet(api):
    await api.import_app(APP)
    created = await api.client.post(records_url("visit", "crm"), json={
        "title": "门店", "where": "广东省深圳市南山区", "at": "9:05", "mood": 4, "on": "开",
        "notes": "<p>好<script>alert(1)</script></p>"})
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["where"]["names"] == ["广东省", "深圳市", "南山区"] and record["at"] == "09:05:00"
    assert "<script>" not in record["notes"]
    exported = await api.client.get(f"{records_url('visit', 'crm')}/export", params={"format": "csv"})
    text = exported.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert "基本信息" not in header and "地区" in header
    assert "广东省/深圳市/南山区" in row and "09:05:00" in row
    # and the file comes back in unchanged
    await api.client.delete(f"{records_url('visit', 'crm')}/{record['id']}")
    imported = await api.client.post(f"{records_url('visit', 'crm')}/import",
                                     files={"file": ("visits.csv", exported.content, "text/csv")})
    assert imported.status_code == 200, imported.text
    back = (await api.client.get(records_url("visit", "crm"))).json()["items"][0]
    assert back["where"] == record["where"] and back["at"] == "09:05:00" and back["on"] is True


async def test_people_leave_and_come_back_by_name_in_a_spreadsheet(api):
    await api.import_app(APP)
    sales, team = await _people(api)
    await api.client.post(records_url("visit", "crm"), json={
        "title": "回访", "sales": sales, "helpers": [sales, api.user_id], "team": team})
    exported = await api.client.get(f"{records_url('visit', 'crm')}/export", params={"format": "csv"})
    text = exported.content.decode("utf-8-sig")
    assert "李四" in text and "华南大区" in text and "李四, 管理员" in text
    sheet = "title,sales,helpers,team\n复访,李四,\"lisi, 管理员\",华南大区\n又访,王五,,\n"
    imported = await api.client.post(f"{records_url('visit', 'crm')}/import",
                                     files={"file": ("v.csv", sheet.encode(), "text/csv")})
    assert imported.status_code == 422
    assert [(e["row"], e["field"]) for e in imported.json()["errors"]] == [(3, "sales")]
    good = await api.client.post(f"{records_url('visit', 'crm')}/import",
                                 files={"file": ("v.csv", sheet.splitlines()[0].encode() + b"\n" +
                                                 sheet.splitlines()[1].encode(), "text/csv")})
    assert good.status_code == 200, good.text
    record = (await api.client.get(records_url("visit", "crm"), params={"q": "复访"})).json()["items"][0]
    assert record["sales"]["id"] == sales and record["team"]["id"] == team
    assert [h["id"] for h in record["helpers"]] == [sales, api.user_id]
