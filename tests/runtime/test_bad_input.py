"""Bad input as a new user would try it: a clear 4xx naming the place, and nothing half-written."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from runtime.models import apps
from tests.runtime.apps import all_types_app, records_url


async def app_count(api) -> int:
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(apps))).scalar_one()


async def test_broken_json_is_400_not_500(api):
    response = await api.client.post("/api/apps/import", content=b'{"format": "nocode.app/v1", "key": ',
                                     headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_json"
    assert await app_count(api) == 0


async def test_an_import_with_many_problems_lists_them_all_and_writes_nothing(api):
    doc = all_types_app()
    doc["forms"][0]["fields"].append({"key": "photo", "type": "hologram"})
    doc["forms"][2]["fields"][1]["target"] = "buyer"
    doc["forms"][1]["fields"][1]["min"] = "zero"
    doc["rules"] = [{"key": "vip"}]  # no form, no name
    doc["views"] = [{"key": "board"}]  # no type
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    details = {d["path"]: d for d in error["details"]}
    assert set(details) == {"/forms/0/fields/6/type", "/forms/2/fields/1/target", "/forms/1/fields/1/min",
                            "/rules/0/form", "/rules/0/name", "/views/0/type"}
    assert "hologram" in details["/forms/0/fields/6/type"]["message"]
    assert "buyer" in details["/forms/2/fields/1/target"]["message"]
    assert "required" in details["/views/0/type"]["message"]
    assert await app_count(api) == 0


async def test_messages_follow_the_language_asked_for(api):
    doc = all_types_app()
    doc["forms"][2]["fields"][1]["target"] = "buyer"
    zh = await api.client.post("/api/apps/import", json=doc, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.json()["error"]["details"][0]["message"] == "关联的表单「buyer」不存在"
    assert zh.json()["error"]["message"] == "输入有误，共 1 处"


async def test_seed_data_problem_rolls_back_the_whole_import(api):
    doc = all_types_app()
    doc["data"] = {"customer": [{"$id": "c1", "name": "甲", "phone": "13800000001"},
                                {"name": "乙", "phone": "13800000001"}]}
    response = await api.client.post("/api/apps/import", params={"demo_data": True}, json=doc)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "/data/customer/1/phone"
    assert await app_count(api) == 0
    # the tables of the failed import are gone too: importing again works
    doc["data"]["customer"][1]["phone"] = "13800000002"
    assert (await api.client.post("/api/apps/import", params={"demo_data": True}, json=doc)).status_code == 201


async def test_importing_an_existing_key_is_a_conflict(api):
    await api.import_app(all_types_app())
    response = await api.client.post("/api/apps/import", json=all_types_app())
    assert response.status_code == 409 and response.json()["error"]["code"] == "app_exists"


async def test_a_string_in_a_number_field_names_the_field(api):
    await api.import_app(all_types_app())
    response = await api.client.post(records_url("product"), json={"name": "荔枝", "price": "很便宜"})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"path": "/price", "code": "not_number", "message": "must be a number, got '很便宜'"}]


async def test_a_duplicate_unique_value_is_refused(api):
    await api.import_app(all_types_app())
    assert (await api.client.post(records_url("customer"), json={"name": "甲", "phone": "13800000001"})).status_code == 201
    response = await api.client.post(records_url("customer"), json={"name": "乙", "phone": "+86 138 0000 0001"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "duplicate_value"
    assert (await api.client.get(records_url("customer"))).json()["total"] == 1


async def test_a_body_over_the_limit_is_413(api):
    await api.import_app(all_types_app())
    big = {"name": "甲", "remark": "x" * (5 * 1024 * 1024)}
    response = await api.client.post(records_url("customer"), content=json.dumps(big).encode(),
                                      headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"

    async def chunks():  # no Content-Length: the limit still holds while streaming
        for _ in range(6):
            yield b"x" * (1024 * 1024)

    streamed = await api.client.post(records_url("customer"), content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0


async def test_a_long_text_over_its_limit_is_422(api):
    await api.import_app(all_types_app())
    response = await api.client.post(records_url("customer"), json={"name": "x" * 51})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["code"] == "too_long"


async def test_sql_looking_keys_and_values_are_just_data(api):
    doc = all_types_app()
    doc["forms"][0]["fields"].append({"key": "x; DROP TABLE users", "type": "text"})
    rejected = await api.client.post("/api/apps/import", json=doc)
    assert rejected.status_code == 422
    assert rejected.json()["error"]["details"][0]["path"] == "/forms/0/fields/6/key"
    await api.import_app(all_types_app())
    evil = "'; DROP TABLE users; --"
    created = await api.client.post(records_url("customer"), json={"name": evil, "tags": [evil]})
    assert created.status_code == 201 and created.json()["name"] == evil
    listed = await api.client.get(records_url("customer"), params={"name": evil, "q": "DROP TABLE"})
    assert listed.json()["total"] == 1
    unknown = await api.client.post(records_url("customer"), json={"name": "a", "name = 1 OR 1=1 --": "x"})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["code"] == "unknown_field"
    sort = await api.client.get(records_url("customer"), params={"sort": "name; DROP TABLE users"})
    assert sort.status_code == 400
    assert (await api.client.get("/api/me")).status_code == 200  # users table still there


async def test_wrong_shapes_are_422_not_500(api):
    await api.import_app(all_types_app())
    for body in ([1, 2], "text", None, {"items": "nope"}):
        response = await api.client.post(records_url("customer"), json=body)
        assert response.status_code == 422, (body, response.text)
    bulk = await api.client.post(records_url("customer") + "/bulk", json={"items": [1, {"name": "x"}]})
    assert bulk.status_code == 422 and bulk.json()["error"]["details"][0]["path"] == "/items/0"
    assert (await api.client.get(records_url("customer") + "/abc")).status_code == 422
    assert (await api.client.get(records_url("customer"), params={"page": 0})).status_code == 422
    assert (await api.client.put(records_url("customer"))).status_code == 405
    assert (await api.client.post("/api/apps/import", json=[])).status_code == 422
