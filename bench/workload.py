"""The benchmark's app: one 15-field member form (会员) covering the everyday field types, phone unique."""
from __future__ import annotations

FORM_KEY = "member"

MEMBER_FIELDS = [
    {"key": "name", "type": "text", "label": "姓名", "required": True, "max_length": 50},
    {"key": "city", "type": "text", "label": "城市", "max_length": 50},
    {"key": "address", "type": "text", "label": "地址"},
    {"key": "phone", "type": "phone", "label": "手机", "required": True, "unique": True},
    {"key": "email", "type": "email", "label": "邮箱"},
    {"key": "orders", "type": "number", "label": "订单数", "min": 0, "decimals": 0},
    {"key": "points", "type": "number", "label": "积分", "min": 0},
    {"key": "total_spent", "type": "money", "label": "累计消费", "min": 0},
    {"key": "balance", "type": "money", "label": "储值余额"},
    {"key": "discount", "type": "percent", "label": "会员折扣", "min": 0, "max": 100},
    {"key": "birthday", "type": "date", "label": "生日"},
    {"key": "last_order_at", "type": "datetime", "label": "最近下单"},
    {"key": "level", "type": "select", "label": "等级", "default": "bronze",
     "options": [{"value": "bronze", "label": "铜牌"}, {"value": "silver", "label": "银牌"},
                 {"value": "gold", "label": "金牌"}, {"value": "platinum", "label": "铂金"}]},
    {"key": "subscribed", "type": "checkbox", "label": "订阅消息"},
    {"key": "tags", "type": "tags", "label": "标签", "options": ["高价值客户", "宝妈", "价格敏感", "沉睡客户"]},
]
assert len(MEMBER_FIELDS) == 15


def bench_app(key: str) -> dict:
    """A one-form app; each way of inserting imports its own copy, so each fills a fresh, identical table."""
    return {
        "format": "nocode.app/v1",
        "key": key,
        "name": "基准测试",
        "forms": [{"key": FORM_KEY, "name": "会员", "title_field": "name", "fields": MEMBER_FIELDS}],
    }
