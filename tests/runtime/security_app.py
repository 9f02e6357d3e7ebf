"""The apps the security tests attack: `sec` (customers with hidden and read-only fields, orders with a lookup of a
hidden field and a sub-table with a hidden column, roles scoped to their own rows) and `vault` (an app in which the
attackers hold no role)."""
from __future__ import annotations

import copy

SEC_APP = {
    "format": "nocode.app/v1", "key": "sec", "name": "安全测试",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "phone", "type": "phone"},
            {"key": "credit", "type": "money", "label": "授信额度"},
            {"key": "secret", "type": "text", "label": "内部备注"},
            {"key": "tags", "type": "tags"}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text"},
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "amount", "type": "money"},
            {"key": "cost", "type": "money", "label": "成本"},
            {"key": "credit", "type": "lookup", "relation": "customer", "field": "credit"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "qty", "type": "number"}, {"key": "cost", "type": "money"}]}]},
    ],
    "print_templates": [
        {"key": "slip", "form": "customer", "name": "客户单", "html": "<p>{{ record.name }}</p>"}],
    "roles": [
        # sales: their own rows only; credit and secret hidden, phone read-only; order cost hidden, also in lines
        {"key": "sales", "name": "销售", "permissions": [
            {"form": "customer", "ops": ["read", "create", "update", "import"], "rows": "own",
             "fields": {"credit": "hidden", "secret": "hidden", "phone": "readonly"}},
            {"form": "order", "ops": ["read", "create", "update", "delete"], "rows": "own",
             "fields": {"cost": "hidden", "lines.cost": "hidden"}}]},
        # auditor: reads every customer (credit hidden), writes nothing
        {"key": "auditor", "name": "审计", "permissions": [
            {"form": "customer", "ops": ["read"], "rows": "all", "fields": {"credit": "hidden"}}]},
    ],
}

VAULT_APP = {
    "format": "nocode.app/v1", "key": "vault", "name": "保险库",
    "forms": [{"key": "memo", "name": "备忘", "title_field": "body", "fields": [
        {"key": "body", "type": "text"}]}],
    "roles": [{"key": "keeper", "name": "保管", "permissions": [{"form": "memo", "ops": ["read"]}]}],
}


def sec_app() -> dict:
    return copy.deepcopy(SEC_APP)


def vault_app() -> dict:
    return copy.deepcopy(VAULT_APP)
