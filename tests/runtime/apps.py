"""App documents the runtime tests share."""
from __future__ import annotations

import copy

ALL_TYPES_APP = {
    "format": "nocode.app/v1",
    "key": "shop",
    "name": "小店",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True, "max_length": 50},
            {"key": "phone", "type": "phone", "label": "手机", "unique": True},
            {"key": "email", "type": "email"},
            {"key": "site", "type": "url"},
            {"key": "level", "type": "select", "options": ["普通", "VIP"], "default": "普通"},
            {"key": "tags", "type": "tags"},
        ]},
        {"key": "product", "name": "商品", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "price", "type": "money", "min": 0},
        ]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "autonumber", "pattern": "DD{YYYYMMDD}{seq:4}"},
            {"key": "customer", "type": "relation", "target": "customer", "required": True},
            {"key": "gifts", "type": "relation", "target": "product", "many": True},
            {"key": "status", "type": "select", "default": "paid",
             "options": [{"value": "paid", "label": "已支付"}, {"value": "refunded", "label": "已退款"}]},
            {"key": "channels", "type": "multi_select", "options": ["社群", "直播", "小程序"]},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "product", "type": "relation", "target": "product", "required": True},
                {"key": "qty", "type": "number", "min": 1, "required": True},
                {"key": "price", "type": "money", "required": True}]},
            {"key": "amount", "type": "money"},
            {"key": "discount", "type": "percent", "max": 100},
            {"key": "weight", "type": "number", "decimals": 2},
            {"key": "paid_on", "type": "date"},
            {"key": "paid_at", "type": "datetime"},
            {"key": "gift_wrap", "type": "checkbox"},
            {"key": "remark", "type": "long_text"},
            {"key": "tags", "type": "tags"},
        ]},
    ],
}


def all_types_app() -> dict:
    return copy.deepcopy(ALL_TYPES_APP)


def records_url(form: str, app: str = "shop") -> str:
    return f"/api/apps/{app}/forms/{form}/records"
