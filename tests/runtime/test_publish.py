"""Changing a published form keeps its data: add, retype, remove, restore, rollback — on both databases."""
from __future__ import annotations

from sqlalchemy import inspect

from tests.runtime.apps import records_url

BASE = {
    "format": "nocode.app/v1", "key": "crm", "name": "CRM",
    "forms": [{"key": "lead", "name": "线索", "title_field": "name", "fields": [
        {"key": "name", "type": "text", "required": True},
        {"key": "score", "type": "text"},
        {"key": "phone", "type": "text"},
        {"key": "note", "type": "long_text"},
    ]}],
}


def with_fields(*fields, base=BASE) -> dict:
    doc = {**base, "forms": [{**base["forms"][0], "fields": list(fields)}]}
    return doc


async def publish(api, doc) -> "httpx.Response":  # noqa: F821
    saved = await api.client.put("/api/apps/crm/draft", json=doc)
    assert saved.status_code == 200, saved.text
    return await api.client.post("/api/apps/crm/publish")


async def leads(api) -> list[dict]:
    return (await api.client.get(records_url("lead", "crm"), params={"sort": "id"})).json()["items"]


async def table_columns(api, form_key="lead") -> set[str]:
    from runtime.models import app_forms
    from sqlalchemy import select

    async with api.platform.engine.connect() as conn:
        form_id = (await conn.execute(select(app_forms.c.id).where(app_forms.c.key == form_key))).scalar_one()
        return set(await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns(f"t_{form_id}")}))


async def test_add_retype_remove_and_restore_keep_every_value(api):
    await api.import_app(BASE)
    for name, score, phone in [("甲", "90", "138-0000-0001"), ("乙", "75.5", "+86 13800000002"), ("丙", None, None)]:
        assert (await api.client.post(records_url("lead", "crm"), json={"name": name, "score": score, "phone": phone,
                                                                        "note": f"{name}的备注"})).status_code == 201
    fields = BASE["forms"][0]["fields"]
    # add a field, turn score into a number and phone into a phone, remove note
    changed = with_fields(fields[0], {"key": "score", "type": "number"}, {"key": "phone", "type": "phone"},
                          {"key": "city", "type": "select", "options": ["上海", "杭州"]})
    response = await publish(api, changed)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    rows = await leads(api)
    assert [(r["score"], r["phone"], r["city"]) for r in rows] == [(90, "13800000001", None), (75.5, "13800000002", None), (None, None, None)]
    assert all("note" not in r for r in rows)
    # the new city works, numbers sort as numbers now
    assert (await api.client.patch(f"{records_url('lead', 'crm')}/{rows[0]['id']}",
                                   json={"version": rows[0]["version"], "city": "杭州"})).status_code == 200
    by_score = await api.client.get(records_url("lead", "crm"), params={"sort": "-score"})
    assert [r["name"] for r in by_score.json()["items"]] == ["甲", "乙", "丙"]
    # the note column is retired, not dropped; publishing note again brings every note back
    restored = with_fields(*changed["forms"][0]["fields"], {"key": "note", "type": "long_text"})
    assert (await publish(api, restored)).status_code == 200
    assert [r["note"] for r in await leads(api)] == ["甲的备注", "乙的备注", "丙的备注"]


async def test_retype_that_cannot_convert_names_the_rows_and_changes_nothing(api):
    await api.import_app(BASE)
    ids = []
    for score in ("90", "很高", "80", "N/A"):
        ids.append((await api.client.post(records_url("lead", "crm"), json={"name": "x", "score": score})).json()["id"])
    columns_before = await table_columns(api)
    doc = with_fields(BASE["forms"][0]["fields"][0], {"key": "score", "type": "number"},
                      {"key": "extra", "type": "text"})
    response = await publish(api, doc)
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["path"] == "/forms/0/fields/1/type" and detail["code"] == "cannot_convert"
    assert f"{ids[1]}, {ids[3]}" in detail["message"]
    # all or nothing: no new column, no new version, values as they were
    assert await table_columns(api) == columns_before
    versions = (await api.client.get("/api/apps/crm/versions")).json()
    assert [v["version"] for v in versions] == [1]
    assert [r["score"] for r in await leads(api)] == ["90", "很高", "80", "N/A"]


async def test_rollback_restores_the_old_shape_and_data(api):
    await api.import_app(BASE)
    await api.client.post(records_url("lead", "crm"), json={"name": "甲", "score": "88", "note": "重要"})
    fields = BASE["forms"][0]["fields"]
    assert (await publish(api, with_fields(fields[0], {"key": "score", "type": "number"}))).status_code == 200
    await api.client.post(records_url("lead", "crm"), json={"name": "乙", "score": 60})
    response = await api.client.post("/api/apps/crm/rollback", json={"version": 1})
    assert response.status_code == 200 and response.json()["version"] == 3
    rows = await leads(api)
    assert [(r["name"], r["score"], r["note"]) for r in rows] == [("甲", "88", "重要"), ("乙", "60", None)]
    definition = (await api.client.get("/api/apps/crm")).json()
    assert [f["type"] for f in definition["forms"][0]["fields"]] == ["text", "text", "text", "long_text"]
    assert (await api.client.post("/api/apps/crm/rollback", json={"version": 9})).status_code == 404


async def test_making_a_field_unique_refuses_existing_duplicates(api):
    await api.import_app(BASE)
    for phone in ("1", "1", "2"):
        await api.client.post(records_url("lead", "crm"), json={"name": "x", "phone": phone})
    fields = BASE["forms"][0]["fields"]
    unique_phone = with_fields(fields[0], {"key": "phone", "type": "text", "unique": True})
    response = await publish(api, unique_phone)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "duplicates_block_unique"
    rows = await leads(api)
    await api.client.delete(f"{records_url('lead', 'crm')}/{rows[1]['id']}")
    assert (await publish(api, unique_phone)).status_code == 200
    again = await api.client.post(records_url("lead", "crm"), json={"name": "y", "phone": "2"})
    assert again.status_code == 422 and again.json()["error"]["details"][0]["code"] == "duplicate_value"


async def test_new_forms_relations_and_subtables_on_republish(api):
    await api.import_app(BASE)
    lead = (await api.client.post(records_url("lead", "crm"), json={"name": "甲"})).json()
    doc = {**BASE, "forms": BASE["forms"] + [{"key": "visit", "name": "拜访", "fields": [
        {"key": "lead", "type": "relation", "target": "lead", "required": True},
        {"key": "people", "type": "relation", "target": "lead", "many": True},
        {"key": "items", "type": "subtable", "fields": [{"key": "topic", "type": "text", "required": True}]}]}]}
    assert (await publish(api, doc)).status_code == 200
    visit = await api.client.post(records_url("visit", "crm"), json={
        "lead": lead["id"], "people": [lead["id"]], "items": [{"topic": "报价"}]})
    assert visit.status_code == 201, visit.text
    assert visit.json()["lead"]["title"] == "甲" and visit.json()["items"][0]["topic"] == "报价"
    # removing the whole form retires it; its records come back with it
    assert (await publish(api, BASE)).status_code == 200
    assert (await api.client.get(records_url("visit", "crm"))).status_code == 404
    assert (await publish(api, doc)).status_code == 200
    assert (await api.client.get(records_url("visit", "crm"))).json()["total"] == 1


async def test_one_relation_becomes_many_and_keeps_its_links(api):
    doc = {**BASE, "forms": BASE["forms"] + [{"key": "deal", "name": "商机", "fields": [
        {"key": "title", "type": "text"}, {"key": "lead", "type": "relation", "target": "lead"}]}]}
    await api.import_app(doc)
    lead = (await api.client.post(records_url("lead", "crm"), json={"name": "甲"})).json()
    await api.client.post(records_url("deal", "crm"), json={"title": "大单", "lead": lead["id"]})
    many = {**doc, "forms": [doc["forms"][0], {**doc["forms"][1], "fields": [
        {"key": "title", "type": "text"}, {"key": "lead", "type": "relation", "target": "lead", "many": True}]}]}
    assert (await publish(api, many)).status_code == 200
    deals = (await api.client.get(records_url("deal", "crm"))).json()["items"]
    assert deals[0]["lead"] == [{"id": lead["id"], "title": "甲"}]


async def test_export_gives_back_an_equivalent_document(api):
    import json

    from builder.validate import validate_app
    from tests.conftest import TEMPLATE_PATH

    doc = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    await api.import_app(doc)
    exported = await api.client.get("/api/apps/scrm/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    # compare values: a decision table used by DECIDE keeps its compiled form as a private cache
    assert validate_app(exported.json()).model_dump() == validate_app(doc).model_dump()


async def test_draft_is_validated_whole_and_kept_apart_from_the_published_app(api):
    await api.import_app(BASE)
    bad = with_fields({"key": "name", "type": "text", "colour": "red"}, {"key": "owner", "type": "relation", "target": "nope"})
    response = await api.client.put("/api/apps/crm/draft", json=bad)
    assert response.status_code == 422
    assert {d["path"] for d in response.json()["error"]["details"]} == {
        "/forms/0/fields/0/colour", "/forms/0/fields/1/key", "/forms/0/fields/1/target"}
    assert (await api.client.get("/api/apps/crm/draft")).status_code == 404
    good = with_fields(*BASE["forms"][0]["fields"], {"key": "city", "type": "text"})
    assert (await api.client.put("/api/apps/crm/draft", json=good)).status_code == 200
    assert (await api.client.get("/api/apps/crm/draft")).json()["forms"][0]["fields"][-1]["key"] == "city"
    published = (await api.client.get("/api/apps/crm")).json()
    assert [f["key"] for f in published["forms"][0]["fields"]] == ["name", "score", "phone", "note"]
    assert (await api.client.post("/api/apps/crm/publish")).json()["version"] == 2
    assert (await api.client.post("/api/apps/crm/publish")).status_code == 409
    other_key = {**good, "key": "other"}
    mismatch = await api.client.put("/api/apps/crm/draft", json=other_key)
    assert mismatch.status_code == 422 and mismatch.json()["error"]["details"][0]["path"] == "/key"


async def test_every_field_type_survives_a_change_and_a_rollback(api):
    from tests.runtime.apps import all_types_app
    from tests.runtime.test_records_api import seed

    c, p1, p2 = await seed(api)
    order = (await api.client.post(records_url("order"), json={
        "customer": c["id"], "gifts": [p1["id"]], "channels": ["社群", "直播"],
        "lines": [{"product": p2["id"], "qty": 2, "price": 69}], "amount": 138, "discount": 12.5,
        "weight": 2.25, "paid_on": "2026-11-20", "paid_at": "2026-11-20T10:15:00", "gift_wrap": True,
        "remark": "备注", "tags": ["团购", "复购"]})).json()
    doc = all_types_app()
    fields = {f["key"]: f for f in doc["forms"][2]["fields"]}
    fields["weight"] = {"key": "weight", "type": "text"}
    fields["paid_on"] = {"key": "paid_on", "type": "text"}
    fields["discount"] = {"key": "discount", "type": "number"}
    fields["tags"] = {"key": "tags", "type": "long_text"}
    fields["amount"] = {"key": "amount", "type": "text"}
    fields["gift_wrap"] = {"key": "gift_wrap", "type": "text"}
    del fields["remark"], fields["channels"]
    fields["city"] = {"key": "city", "type": "text", "default": "上海"}
    doc["forms"][2]["fields"] = list(fields.values())
    assert (await api.client.put("/api/apps/shop/draft", json=doc)).status_code == 200
    published = await api.client.post("/api/apps/shop/publish")
    assert published.status_code == 200, published.text
    changed = (await api.client.get(f"{records_url('order')}/{order['id']}")).json()
    assert (changed["weight"], changed["paid_on"], changed["discount"], changed["tags"], changed["amount"],
            changed["gift_wrap"], changed["city"]) == ("2.25", "2026-11-20", 12.5, "团购, 复购", "138", "是", None)
    assert "remark" not in changed and "channels" not in changed
    assert changed["lines"] == order["lines"] and changed["gifts"] == order["gifts"] and changed["no"] == order["no"]
    rolled = await api.client.post("/api/apps/shop/rollback", json={"version": 1})
    assert rolled.status_code == 200, rolled.text
    back = (await api.client.get(f"{records_url('order')}/{order['id']}")).json()
    assert {k: v for k, v in back.items() if k not in ("version", "updated_at")} == \
        {k: v for k, v in order.items() if k not in ("version", "updated_at")}


async def test_a_working_copy_is_checked_without_being_saved_and_a_draft_can_be_discarded(api):
    await api.import_app(BASE)
    bad = with_fields({"key": "name", "type": "text", "colour": "red"}, {"key": "total", "type": "formula", "expr": "name +"})
    checked = await api.client.post("/api/apps/crm/draft/check", json=bad)
    assert checked.status_code == 200
    problems = checked.json()["problems"]
    assert [p["path"] for p in problems] == ["/forms/0/fields/0/colour"]  # the schema first, expressions after
    assert (await api.client.get("/api/apps/crm/draft")).status_code == 404  # nothing saved
    formula = await api.client.post("/api/apps/crm/draft/check", json=with_fields(
        {"key": "name", "type": "text"}, {"key": "total", "type": "formula", "expr": "name +"}))
    [problem] = formula.json()["problems"]
    assert problem["path"] == "/forms/0/fields/1/expr" and problem["position"] == 6 and problem["message"]
    good = with_fields(*BASE["forms"][0]["fields"], {"key": "city", "type": "text"})
    assert (await api.client.post("/api/apps/crm/draft/check", json=good)).json() == {"problems": []}
    assert (await api.client.post("/api/apps/nope/draft/check", json=good)).status_code == 404

    assert (await api.client.put("/api/apps/crm/draft", json=good)).status_code == 200
    assert (await api.client.delete("/api/apps/crm/draft")).status_code == 204
    assert (await api.client.get("/api/apps/crm/draft")).status_code == 404
    assert (await api.client.delete("/api/apps/crm/draft")).status_code == 404


async def test_each_version_reads_back_as_published(api):
    await api.import_app(BASE)
    await api.client.put("/api/apps/crm/draft", json=with_fields(*BASE["forms"][0]["fields"], {"key": "city", "type": "text"}))
    await api.client.post("/api/apps/crm/publish")
    first = (await api.client.get("/api/apps/crm/versions/1")).json()
    second = (await api.client.get("/api/apps/crm/versions/2")).json()
    assert [f["key"] for f in first["forms"][0]["fields"]] == ["name", "score", "phone", "note"]
    assert [f["key"] for f in second["forms"][0]["fields"]][-1] == "city"
    missing = await api.client.get("/api/apps/crm/versions/9")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_version"


async def test_the_gallery_installs_the_scrm_template_under_another_key_with_demo_data(api):
    gallery = (await api.client.get("/api/templates")).json()
    scrm = next(t for t in gallery if t["key"] == "scrm_app")
    assert scrm["has_demo"] and scrm["counts"]["forms"] >= 20 and scrm["name"]
    installed = await api.client.post("/api/templates/scrm_app/install",
                                      json={"key": "shop2", "name": "第二家店", "demo_data": True, "scale": 0.01})
    assert installed.status_code == 201, installed.text
    assert installed.json()["key"] == "shop2" and installed.json()["demo_records"] > 0
    apps = {a["key"]: a["name"] for a in (await api.client.get("/api/apps")).json()}
    assert apps == {"shop2": "第二家店"}
    customers = (await api.client.get("/api/apps/shop2/forms/customer/records?page_size=1")).json()
    assert customers["total"] > 0
    again = await api.client.post("/api/templates/scrm_app/install", json={"key": "shop2"})
    assert again.status_code == 409
    assert (await api.client.post("/api/templates/nope/install", json={})).status_code == 404
    assert (await api.client.post("/api/templates/scrm_app/install", json={"key": "Bad Key"})).status_code == 422
