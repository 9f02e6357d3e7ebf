"""The app's identity section, checked at publish with the place of every problem."""
from __future__ import annotations

import copy

import pytest

from builder.validate import validate_app
from engines.problems import ProblemsError

APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户",
    "forms": [{"key": "customer", "name": "客户", "fields": [
        {"key": "name", "type": "text"}, {"key": "phone", "type": "phone"}, {"key": "email", "type": "email"},
        {"key": "unionid", "type": "text"}, {"key": "orders", "type": "number"},
        {"key": "score", "type": "formula", "expr": "orders * 2"}]}],
    "identity": {"form": "customer", "keys": {"phone": "phone", "unionid": "unionid"},
                 "channels": ["wecom", "mp", {"key": "mp_fruit", "name": "水果公众号"}], "owned": ["name"]},
}


def problems_of(identity: dict) -> list[tuple[str, str]]:
    doc = copy.deepcopy(APP)
    doc["identity"] = identity
    with pytest.raises(ProblemsError) as e:
        validate_app(doc)
    return [(p.path, p.code) for p in e.value.problems]


def test_a_sound_section_publishes_and_keeps_its_shape():
    app = validate_app(copy.deepcopy(APP))
    assert app.identity.field_of("phone") == "phone" and app.identity.create is True
    assert [c.label("zh-CN") for c in app.identity.channels] == ["企业微信", "微信公众号", "水果公众号"]
    assert app.dump()["identity"]["channels"] == ["wecom", "mp", {"key": "mp_fruit", "name": "水果公众号"}]


@pytest.mark.parametrize("identity, expected", [
    ({"form": "lead", "channels": ["mp"]}, [("/identity/form", "unknown_form")]),
    ({"form": "customer", "keys": {"fax": "phone"}, "channels": ["mp"]},
     [("/identity/keys/fax", "identity_unknown_kind")]),
    ({"form": "customer", "keys": {"phone": "mobile"}, "channels": ["mp"]}, [("/identity/keys/phone", "unknown_field")]),
    ({"form": "customer", "keys": {"email": "name"}, "channels": ["mp"]},
     [("/identity/keys/email", "identity_field_type")]),
    ({"form": "customer", "keys": {"openid": "unionid"}, "channels": ["mp"]},
     [("/identity/keys/openid", "identity_kind_scoped")]),
    ({"form": "customer", "keys": {"unionid": "name", "device": "name"}, "channels": ["mp"]},
     [("/identity/keys/device", "identity_field_twice")]),
    ({"form": "customer", "channels": ["mp", "tiktok"]}, [("/identity/channels/1", "identity_unknown_channel")]),
    ({"form": "customer", "channels": ["mp", {"key": "mp", "name": "又一个"}]},
     [("/identity/channels/1", "duplicate_key")]),
    ({"form": "customer", "channels": []}, [("/identity/channels", "schema")]),
    ({"form": "customer", "channels": ["mp"], "owned": ["score", "city"]},
     [("/identity/owned/0", "identity_field_not_writable"), ("/identity/owned/1", "unknown_field")]),
    ({"form": "customer", "channels": ["mp"], "merge": True}, [("/identity/merge", "unknown_key")]),
])
def test_problems_are_reported_where_they_are(identity, expected):
    assert problems_of(identity) == expected
