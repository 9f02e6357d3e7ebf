"""Rules end to end on SQLite and PostgreSQL: the same data evaluated record by record as it is written (event
time) and as one set-based batch give the same tags and fields; the run endpoint's counts; tag sources; chains
stopped at the depth limit; a rule failing on bad data leaves the person's write alone; schedules."""
from __future__ import annotations

import copy

from sqlalchemy import func, select

from runtime.models import audit_log, jobs, rule_log, rule_tag_sources
from runtime.rules import SCHEDULE_JOB, run_scheduled
from tests.runtime.apps import records_url
from tests.runtime.people import add_user, bearer, token_of

TAG = "高价值客户"

CUSTOMER = {"key": "customer", "name": "客户", "title_field": "name", "fields": [
    {"key": "name", "type": "text", "required": True},
    {"key": "spent", "type": "money"},
    {"key": "orders", "type": "number"},
    {"key": "region", "type": "select", "options": ["华东", "华南", "华北"]},
    {"key": "source", "type": "select", "options": ["referral", "ad", "walk_in"]},
    {"key": "tags", "type": "tags"},
    {"key": "level", "type": "select", "options": ["new", "normal", "vip"]},
    {"key": "score", "type": "number", "max": 100},
    {"key": "stage", "type": "select", "options": ["lead", "active", "loyal"]},
    {"key": "discount", "type": "money"},
    {"key": "note", "type": "text"},
    {"key": "last_contact", "type": "date"}]}

RULES = [
    {"key": "vip", "name": "高价值客户", "form": "customer", "on": ["created", "updated"],
     "when": "spent > 5000 AND orders >= 3 AND region IN ('华东', '华南')",
     "then": [{"action": "add_tag", "tag": TAG}, {"action": "set_field", "field": "level", "value": "'vip'"},
              {"action": "set_field", "field": "discount", "value": "spent * 0.015"}],
     "else": [{"action": "remove_tag", "tag": TAG},
              {"action": "set_field", "field": "level", "value": "IF(spent > 1000, 'normal', 'new')"}]},
    {"key": "lead_score", "name": "线索评分", "form": "customer", "on": ["created", "updated"],
     "then": [{"action": "score", "into": "score", "terms": [
         {"when": "source = 'referral'", "points": 30}, {"when": "orders >= 2", "points": 25},
         {"when": "HAS_TAG(tags, '老客户')", "points": 10}, {"when": "ISBLANK(region)", "points": -5}]},
         {"action": "stage", "into": "stage", "stages": [
             {"when": "orders >= 5", "value": "loyal"}, {"when": "orders >= 1", "value": "active"}],
          "default": "lead"}]},
    {"key": "note_mark", "name": "备注", "form": "customer", "on": ["created", "updated"],
     "when": "NOT ISBLANK(note)",
     "then": [{"action": "set_field", "field": "note", "value": "IF(LEFT(note, 1) = '*', note, '*' & note)"}]},
]


def shop(key: str = "shop", on: bool = True, rules=None) -> dict:
    rules = copy.deepcopy(rules if rules is not None else RULES)
    if not on:
        for rule in rules:
            rule["on"] = []
    return {"format": "nocode.app/v1", "key": key, "name": "小店", "forms": [copy.deepcopy(CUSTOMER)],
            "rules": rules}


PEOPLE = [
    {"name": "A", "spent": 8000, "orders": 4, "region": "华东", "source": "referral"},
    {"name": "B", "spent": 8000, "orders": 2, "region": "华东", "source": "ad"},
    {"name": "C", "spent": 5000, "orders": 9, "region": "华南"},
    {"name": "D", "spent": 5000.01, "orders": 3, "region": "华南", "tags": ["老客户"]},
    {"name": "E", "spent": 99999, "orders": 7, "region": "华北", "tags": [TAG]},  # put by hand: stays
    {"name": "F", "orders": 3, "region": "华东", "note": "call back"},
    {"name": "G", "spent": 1200, "source": "walk_in", "note": "*vip once"},
    {"name": "H", "spent": 6100.5, "orders": 3, "region": "华东", "tags": ["老客户", "团长推荐"]},
    {"name": "I", "note": "   "},
    {"name": "J", "spent": 20000, "orders": 12, "region": "华南", "tags": [TAG, "老客户"], "level": "new"},
]

FIELDS = ("tags", "level", "score", "stage", "discount", "note")


async def create(api, values: dict, app: str = "shop", form: str = "customer") -> dict:
    response = await api.client.post(records_url(form, app), json=values)
    assert response.status_code == 201, response.text
    return response.json()


async def listed(api, app: str) -> dict[str, dict]:
    response = await api.client.get(records_url("customer", app), params={"page_size": 500, "sort": "name"})
    assert response.status_code == 200, response.text
    return {r["name"]: {k: r.get(k) for k in FIELDS} for r in response.json()["items"]}


async def run(api, rule: str, app: str = "shop", headers: dict | None = None, status: int = 200) -> dict:
    response = await api.client.post(f"/api/apps/{app}/rules/{rule}/run", headers=headers or {})
    assert response.status_code == status, response.text
    return response.json()


async def test_event_time_and_batch_give_the_same_tags_and_fields(api):
    await api.import_app(shop("live"))
    await api.import_app(shop("night", on=False))
    for person in PEOPLE:
        await create(api, person, "live")  # event time: each record as it is written
        await create(api, person, "night")  # no events: the batch does the work
    live = await listed(api, "live")
    assert live["A"]["tags"] == [TAG] and live["A"]["level"] == "vip" and live["A"]["discount"] == 120
    assert live["B"]["tags"] is None and live["B"]["level"] == "normal"
    assert live["E"]["tags"] == [TAG] and live["E"]["level"] == "normal"  # not in 华东/华南, but set by hand
    assert live["F"]["level"] == "new" and live["F"]["note"] == "*call back"
    assert live["H"]["tags"] == ["老客户", "团长推荐", TAG]
    assert live["I"]["note"] is None
    assert live["A"]["score"] == 55 and live["D"]["score"] == 35 and live["I"]["score"] == -5
    assert live["J"]["stage"] == "loyal" and live["I"]["stage"] == "lead"
    before = await listed(api, "night")
    assert before != live
    counts = {key: await run(api, key, "night") for key in ("vip", "lead_score", "note_mark")}
    assert await listed(api, "night") == live
    assert counts["vip"]["matched"] == 4 and counts["vip"]["changed"] == 10
    assert counts["note_mark"] == {"matched": 2, "changed": 1, "acted": 0, "failed": 0}  # "   " is empty
    # run again, or over the records event time already did: nothing changes (changed counts real changes only)
    for app in ("night", "live"):
        for key in ("vip", "lead_score", "note_mark"):
            assert (await run(api, key, app))["changed"] == 0


async def test_changes_after_writes_agree_too(api):
    await api.import_app(shop("live"))
    await api.import_app(shop("night", on=False))
    ids = {}
    for person in PEOPLE:
        ids[person["name"]] = (await create(api, person, "live"))["id"], (await create(api, person, "night"))["id"]
    for key in ("vip", "lead_score", "note_mark"):  # the nightly run, before the day's edits
        await run(api, key, "night")
    edits = {"A": {"orders": 1}, "B": {"orders": 3}, "E": {"tags": ["老客户"]}, "H": {"region": None},
             "C": {"spent": 5000.5, "note": "x"}}
    for name, values in edits.items():
        for app, record_id in zip(("live", "night"), ids[name]):
            current = (await api.client.get(f"{records_url('customer', app)}/{record_id}")).json()
            response = await api.client.patch(f"{records_url('customer', app)}/{record_id}",
                                              json={**values, "version": current["version"]})
            assert response.status_code == 200, response.text
    for key in ("vip", "lead_score", "note_mark"):
        await run(api, key, "night")
    live = await listed(api, "live")
    assert await listed(api, "night") == live
    assert live["A"]["tags"] is None and live["B"]["tags"] == [TAG] and live["H"]["tags"] == ["老客户", "团长推荐"]


async def test_tag_sources_show_which_rule_put_a_tag(api):
    await api.import_app(shop())
    record = await create(api, {"name": "A", "spent": 8000, "orders": 4, "region": "华东", "tags": ["老客户"]})
    url = f"{records_url('customer')}/{record['id']}"
    shown = (await api.client.get(url + "/tags")).json()
    assert shown["tags"][0] == {"tag": "老客户", "source": "manual"}
    assert shown["tags"][1]["tag"] == TAG and shown["tags"][1]["source"] == "rule"
    assert shown["tags"][1]["rule"] == "vip" and shown["tags"][1]["rule_name"] == "高价值客户"
    # a person takes the rule's tag off and puts it back: now it is theirs, and the rule leaves it
    await api.client.patch(url, json={"tags": ["老客户"], "version": record["version"] + 1})
    current = (await api.client.get(url)).json()
    assert current["tags"] == ["老客户", TAG]  # the rule put it back at once (the condition still holds)
    await api.client.patch(url, json={"orders": 1, "version": current["version"]})
    assert (await api.client.get(url)).json()["tags"] == ["老客户"]  # no longer a VIP: the rule's tag goes
    current = (await api.client.get(url)).json()
    await api.client.patch(url, json={"tags": ["老客户", TAG], "version": current["version"]})
    shown = (await api.client.get(url + "/tags")).json()
    assert shown["tags"][1] == {"tag": TAG, "source": "manual"}
    assert (await run(api, "vip"))["changed"] == 0  # a tag a person put stays, whatever the condition says
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(rule_tag_sources))).scalar_one() == 0


async def test_batch_remembers_and_forgets_tag_sources(api):
    await api.import_app(shop(on=False))
    a = await create(api, {"name": "A", "spent": 8000, "orders": 4, "region": "华东"})
    await create(api, {"name": "B", "spent": 10, "tags": [TAG]})
    assert (await run(api, "vip"))["changed"] == 2
    shown = (await api.client.get(f"{records_url('customer')}/{a['id']}/tags")).json()
    assert shown["tags"] == [{"tag": TAG, "source": "rule", "rule": "vip", "rule_name": "高价值客户",
                              "set_at": shown["tags"][0]["set_at"]}]
    current = (await api.client.get(f"{records_url('customer')}/{a['id']}")).json()
    await api.client.patch(f"{records_url('customer')}/{a['id']}", json={"orders": 0, "version": current["version"]})
    assert (await run(api, "vip"))["changed"] == 1
    assert (await listed(api, "shop"))["A"]["tags"] is None
    assert (await listed(api, "shop"))["B"]["tags"] == [TAG]
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(rule_tag_sources))).scalar_one() == 0
        audit = (await conn.execute(select(audit_log.c.detail).where(audit_log.c.record_id == a["id"],
                                                                      audit_log.c.action == "update"))).scalars().all()
    assert {"rule": "vip", "fields": ["tags", "level", "discount"]} in audit


async def test_batch_takes_over_a_source_left_behind(api):
    """A source kept for a tag its record no longer has (written around the rules) is taken over when the batch
    puts the tag back — one row per tag, this rule's, stamped now — and a record tagged afresh gets its own."""
    from datetime import datetime

    from runtime.models import apps

    await api.import_app(shop(on=False))
    a = await create(api, {"name": "A", "spent": 8000, "orders": 4, "region": "华东"})
    b = await create(api, {"name": "B", "spent": 9000, "orders": 5, "region": "华南"})
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "shop"))).scalar_one()
        await conn.execute(rule_tag_sources.insert().values(app_id=app_id, form="customer", record_id=a["id"],
                                                            field="tags", tag=TAG, rule="old",
                                                            set_at=datetime(2020, 1, 1)))
    assert (await run(api, "vip"))["changed"] == 2
    async with api.platform.engine.connect() as conn:
        rows = (await conn.execute(select(rule_tag_sources.c.record_id, rule_tag_sources.c.rule,
                                          rule_tag_sources.c.set_at).order_by(rule_tag_sources.c.record_id))).all()
    assert [(r.record_id, r.rule) for r in rows] == [(a["id"], "vip"), (b["id"], "vip")]
    assert rows[0].set_at == rows[1].set_at > datetime(2020, 1, 1)


CHAIN = [{"key": "bump", "name": "加一", "form": "customer", "on": ["updated"], "fields": ["score"],
          "when": "score < 90", "then": [{"action": "set_field", "field": "score", "value": "score + 1"}]}]


async def test_a_rule_chain_stops_at_the_depth_limit_with_an_error_in_the_log(api, caplog):
    await api.import_app(shop(rules=CHAIN))
    record = await create(api, {"name": "A", "score": 1})
    response = await api.client.patch(f"{records_url('customer')}/{record['id']}",
                                      json={"score": 10, "version": record["version"]})
    assert response.status_code == 200, response.text
    assert response.json()["score"] == 18  # the person's 10, then eight rule writes
    async with api.platform.engine.connect() as conn:
        rows = (await conn.execute(select(rule_log))).all()
    assert [r.code for r in rows] == ["rule_depth_exceeded"] and rows[0].record_id == record["id"]
    assert "more than 8 levels deep" in caplog.text


async def test_a_rule_failing_on_bad_data_leaves_the_persons_write(api):
    rules = [{"key": "double", "name": "翻倍", "form": "customer", "on": ["created", "updated"],
              "then": [{"action": "set_field", "field": "score", "value": "orders * 20"},
                       {"action": "add_tag", "tag": "checked"}]}]
    await api.import_app(shop(rules=rules))
    await api.import_app(shop("night", on=False, rules=rules))
    for values in ({"name": "ok", "orders": 2}, {"name": "bad", "orders": 9}):
        await create(api, values)
        await create(api, values, "night")
    live = await listed(api, "shop")
    assert live["ok"]["score"] == 40 and live["ok"]["tags"] == ["checked"]
    assert live["bad"]["score"] is None and live["bad"]["tags"] is None  # over the field's max: nothing written
    async with api.platform.engine.connect() as conn:
        failures = (await conn.execute(select(rule_log.c.code, rule_log.c.message))).all()
    assert failures[0].code == "rule_failed" and "score" in failures[0].message
    assert (await run(api, "double", "night"))["changed"] == 1  # the batch leaves the same record alone
    assert await listed(api, "night") == live


async def test_who_may_run_a_rule(api):
    doc = shop(on=False)
    doc["roles"] = [{"key": "sales", "name": "销售", "permissions": [{"form": "customer", "ops": ["read", "update"]}]},
                    {"key": "viewer", "name": "只读", "permissions": [{"form": "customer", "ops": ["read"]}]}]
    await api.import_app(doc)
    from runtime.models import apps, user_roles

    for name, role in (("sam", "sales"), ("vic", "viewer")):
        user_id = await add_user(api, name)
        async with api.platform.engine.begin() as conn:
            app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "shop"))).scalar_one()
            await conn.execute(user_roles.insert().values(user_id=user_id, app_id=app_id, role=role))
    await create(api, {"name": "A", "spent": 8000, "orders": 4, "region": "华东"})
    await run(api, "vip", headers=bearer(await token_of(api, "vic")), status=403)
    assert (await run(api, "vip", headers=bearer(await token_of(api, "sam"))))["changed"] == 1
    await run(api, "nope", status=404)
    log = (await api.client.get("/api/apps/shop/rules/vip/log")).json()
    assert log["items"][0]["code"] == "rule_run" and log["items"][0]["detail"]["changed"] == 1


async def test_publishing_arms_the_rule_schedule(api):
    rules = copy.deepcopy(RULES)
    rules[0]["schedule"] = "0 2 * * *"
    await api.import_app(shop(on=False, rules=rules))
    await create(api, {"name": "A", "spent": 8000, "orders": 4, "region": "华东"})
    from runtime.models import apps

    async with api.platform.engine.begin() as conn:
        slots = (await conn.execute(select(jobs.c.series, jobs.c.payload).where(jobs.c.kind == SCHEDULE_JOB))).all()
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "shop"))).scalar_one()
        assert [s.series for s in slots] == [f"rule:{app_id}:vip"]
        result = await run_scheduled(conn, app_id, "vip", api.platform.settings.tz)
    assert result["changed"] == 1
    assert (await listed(api, "shop"))["A"]["tags"] == [TAG]
    # publishing without the schedule drops the slot
    doc = shop(on=False)
    response = await api.client.put("/api/apps/shop/draft", json=doc)
    assert response.status_code == 200, response.text
    assert (await api.client.post("/api/apps/shop/publish")).status_code == 200
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(jobs).where(
            jobs.c.kind == SCHEDULE_JOB, jobs.c.status == "queued"))).scalar_one() == 0
