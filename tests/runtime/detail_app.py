"""A small CRM for the record page's tests: customers, their orders, follow-ups and a form only admins read."""
from __future__ import annotations

import copy

from tests.runtime.people import add_user, bearer, token_of

DETAIL_APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户管理",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True},
            {"key": "credit", "type": "number", "label": "信用"},
            {"key": "note", "type": "text", "label": "备注"},
            {"key": "owner_id", "type": "member", "label": "负责人"}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text", "label": "单号"},
            {"key": "customer", "type": "relation", "target": "customer", "label": "客户"},
            {"key": "lines", "type": "subtable", "label": "明细", "fields": [
                {"key": "gift_for", "type": "relation", "target": "customer", "label": "赠送给"},
                {"key": "cost", "type": "money", "label": "成本"}]}]},
        {"key": "followup", "name": "跟进", "title_field": "text", "fields": [
            {"key": "text", "type": "text", "label": "内容"},
            {"key": "customers", "type": "relation", "target": "customer", "many": True, "label": "客户"}]},
        {"key": "secret", "name": "内部", "title_field": "text", "fields": [
            {"key": "text", "type": "text"},
            {"key": "customer", "type": "relation", "target": "customer"}]},
    ],
    "roles": [
        {"key": "sales", "name": "销售", "permissions": [
            {"form": "customer", "ops": ["read", "update"], "rows": "member",
             "fields": {"note": "hidden", "credit": "readonly"}},
            {"form": "order", "ops": ["read", "create"], "rows": "own", "fields": {"lines.cost": "hidden"}},
            {"form": "followup", "ops": ["read"], "fields": {"customers": "hidden"}}]},
        {"key": "helper", "name": "助理", "permissions": [
            {"form": "order", "ops": ["read"]}]},
    ],
}


def detail_app() -> dict:
    return copy.deepcopy(DETAIL_APP)


def url(form: str, tail: str = "") -> str:
    return f"/api/apps/crm/forms/{form}/records{tail}"


async def person(api, username: str, role: str | None) -> tuple[int, dict]:
    """A new user holding `role` in the app (none: no role at all), and the headers to call as them."""
    user_id = await add_user(api, username)
    if role:
        response = await api.client.post(f"/api/admin/users/{user_id}/roles", json={"app": "crm", "role": role})
        assert response.status_code in (200, 201), response.text
    return user_id, bearer(await token_of(api, username))
