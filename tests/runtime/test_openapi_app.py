"""An app's own OpenAPI document: a valid OpenAPI 3.1 document whose schemas are the forms' real fields, as an
integrator reads them, with the API key scheme, webhook events and inbound connector endpoints."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.runtime.apps import all_types_app, records_url
from tests.runtime.people import with_key

INBOUND = {"key": "shop_in", "name": "小程序订单", "base_url": "https://api.weixin.qq.com",
           "auth": {"type": "hmac", "secret": "mp_signing", "header": "X-Signature"},
           "operations": {"order_paid": {"inbound": True, "description": "小程序支付成功",
                                         "write": {"form": "order", "mode": "create",
                                                   "values": {"customer": "$.buyer_id", "amount": "$.total_fee"}}}}}


async def test_the_app_document_is_valid_and_shows_each_fields_real_type(api):
    doc = all_types_app()
    doc["connectors"] = [INBOUND]
    await api.import_app(doc)
    response = await api.client.get("/api/apps/shop/openapi.json")
    assert response.status_code == 200, response.text
    spec = response.json()
    validate(spec)  # raises on any violation of OpenAPI 3.1

    schemas = spec["components"]["schemas"]
    customer = schemas["customer_input"]["properties"]
    assert customer["phone"]["type"] == "string" and customer["phone"]["format"] == "phone"
    assert re.match(customer["phone"]["pattern"], "13800000001")
    assert not re.match(customer["phone"]["pattern"], "12345")
    assert customer["level"]["enum"] == ["普通", "VIP"]
    assert customer["email"]["format"] == "email"
    assert schemas["customer_input"]["required"] == ["name"]
    order = schemas["order_input"]["properties"]
    assert order["customer"]["type"] == "integer"  # a relation is written as the linked record's id
    assert order["gifts"] == {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                         "description": "id of a 'product' record"}}
    assert order["lines"]["type"] == "array" and order["lines"]["items"]["type"] == "object"
    assert order["lines"]["items"]["properties"]["qty"] == {"type": "number", "minimum": 1}
    assert order["lines"]["items"]["required"] == ["product", "qty", "price"]
    assert order["amount"] == {"type": "number"}  # money
    assert order["paid_at"]["format"] == "date-time" and order["channels"]["items"]["enum"] == ["社群", "直播", "小程序"]
    assert "no" not in order  # generated: not writable
    assert schemas["order"]["properties"]["no"]["readOnly"] is True
    assert schemas["order"]["properties"]["customer"]["properties"]["title"]  # read back with its title

    paths = spec["paths"]
    base = records_url("order")
    assert set(paths[base]) == {"get", "post"} and set(paths[base + "/{id}"]) == {"parameters", "get", "patch",
                                                                                  "delete"}
    assert {base + "/bulk", base + "/import", base + "/export"} <= set(paths)
    assert spec["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": "a key for one app and role, from POST /api/admin/api-keys"}
    assert "order.updated" in spec["webhooks"]
    inbound = paths["/api/hooks/shop/connectors/shop_in/order_paid"]["post"]
    assert inbound["security"] == [] and "X-Signature" in inbound["description"]


async def test_an_api_key_reads_its_own_apps_document_and_the_docs_page_is_served(api):
    doc = all_types_app()
    doc["roles"] = [{"key": "sync", "name": "同步", "permissions": [{"form": "order", "ops": ["read"]}]}]
    await api.import_app(doc)
    key = (await api.client.post("/api/admin/api-keys", json={"name": "erp", "app": "shop", "role": "sync"})).json()
    response = await api.client.get("/api/apps/shop/openapi.json", headers=with_key(key["key"]))
    assert response.status_code == 200, response.text
    page = await api.client.get("/api/apps/shop/docs")
    assert page.status_code == 200 and "/api/apps/shop/openapi.json" in page.text
    assert (await api.client.get("/api/apps/Bad%20Key/docs")).status_code == 422
