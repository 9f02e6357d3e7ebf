"""The builder's read side: installed apps, the published definition, versions, field types; concurrency."""
from __future__ import annotations

import asyncio

from tests.runtime.apps import all_types_app, records_url


async def test_apps_list_shows_forms_and_versions(api):
    assert (await api.client.get("/api/apps")).json() == []
    await api.import_app(all_types_app())
    apps = (await api.client.get("/api/apps")).json()
    assert [(a["key"], a["name"], a["version"], a["has_draft"]) for a in apps] == [("shop", "小店", 1, False)]
    assert [f["key"] for f in apps[0]["forms"]] == ["customer", "product", "order"]
    definition = (await api.client.get("/api/apps/shop")).json()
    assert definition["format"] == "nocode.app/v1" and definition["forms"][2]["fields"][0]["pattern"] == "DD{YYYYMMDD}{seq:4}"
    versions = (await api.client.get("/api/apps/shop/versions")).json()
    assert [(v["version"], v["note"], v["published_by"]) for v in versions] == [(1, "import", api.user_id)]


async def test_field_types_describe_every_registered_type(api):
    from engines.form.fields import FIELD_TYPES

    types = (await api.client.get("/api/field-types")).json()
    assert [t["key"] for t in types] == FIELD_TYPES.keys()
    number = next(t for t in types if t["key"] == "number")
    assert number["widget"] == "number" and "min" in number["schema"]["properties"]
    assert number["icon"] == "NumberOutlined" and number["label"] == {"zh-CN": "数字", "en": "Number"}
    region = next(t for t in types if t["key"] == "region")
    assert region["icon"] == "EnvironmentOutlined" and region["schema"]["properties"]["level"]["default"] == "district"


async def test_concurrent_creates_get_distinct_numbers_and_no_lost_writes(api):
    await api.import_app(all_types_app())
    customer = (await api.client.post(records_url("customer"), json={"name": "甲"})).json()

    async def create(i):
        return await api.client.post(records_url("order"), json={"customer": customer["id"], "amount": i})

    responses = await asyncio.gather(*(create(i) for i in range(20)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    numbers = sorted(int(r.json()["no"][-4:]) for r in responses)
    assert numbers == list(range(1, 21))

    async def bump():
        current = (await api.client.get(f"{records_url('customer')}/{customer['id']}")).json()
        return await api.client.patch(f"{records_url('customer')}/{customer['id']}",
                                      json={"version": current["version"], "email": "a@b.cn"})

    results = await asyncio.gather(*(bump() for _ in range(6)))
    codes = sorted(r.status_code for r in results)
    assert set(codes) <= {200, 409} and 200 in codes
    final = (await api.client.get(f"{records_url('customer')}/{customer['id']}")).json()
    assert final["version"] == 1 + codes.count(200)  # every accepted write counted, none lost
