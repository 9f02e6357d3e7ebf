"""Checking a batch of channel events: each event's problems at its own place, identities normalised, times in UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engines.customers import IdentityDef, parse_events
from engines.form.definition import FormDef
from engines.form.fields.base import Context

IDENTITY = IdentityDef.model_validate({"form": "customer", "keys": {"phone": "phone", "email": "email"},
                                       "channels": ["mp", "miniapp"]})
FORM = FormDef.model_validate({"key": "customer", "name": "客户", "fields": [
    {"key": "name", "type": "text", "max_length": 5}, {"key": "phone", "type": "phone"},
    {"key": "email", "type": "email"}, {"key": "tags", "type": "tags"},
    {"key": "friends", "type": "relation", "target": "customer", "many": True}]})
SHANGHAI = Context(tz=timezone(timedelta(hours=8)))


def parse(*events, closed=frozenset()):
    return parse_events(IDENTITY, FORM, "miniapp", list(events), SHANGHAI, set(closed))


def test_a_good_event_comes_out_normalised():
    (event,), problems = parse({"type": "coupon.claimed", "occurred_at": "2024-06-01T10:00:00",
                                "identities": {"phone": "+86 138 0013 8000", "openid": " oX ", "email": "A@B.cn",
                                               "device": None},
                                "profile": {"name": "小王", "tags": ["宝妈"]}, "data": {"coupon": "C1"}, "id": "e-1"})
    assert problems == {}
    assert event.occurred_at == datetime(2024, 6, 1, 2, 0)  # no offset: the deployment's zone, stored as UTC
    assert event.keys == [("phone", "", "13800138000"), ("openid", "miniapp", "oX"), ("email", "", "a@b.cn")]
    assert event.identities == {"phone": "13800138000", "openid": "oX", "email": "a@b.cn"}
    assert event.field_values == {"phone": "13800138000", "email": "a@b.cn"}
    assert event.profile == {"name": "小王", "tags": ["宝妈"]} and event.external_id == "e-1"


def test_times_with_an_offset_keep_it():
    (event,), _ = parse({"type": "visit", "occurred_at": "2024-06-01T10:00:00Z", "identities": {"phone": "13800138000"}})
    assert event.occurred_at == datetime(2024, 6, 1, 10, 0)


@pytest.mark.parametrize("event, places", [
    ("not an event", [("/events/0", "not_object")]),
    ({"occurred_at": "2024-06-01T10:00:00", "identities": {"phone": "13800138000"}}, [("/events/0/type", "required")]),
    ({"type": "Read Article", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"}},
     [("/events/0/type", "event_bad_type")]),
    ({"type": "read", "occurred_at": "June 1st", "identities": {"phone": "13800138000"}},
     [("/events/0/occurred_at", "not_datetime")]),
    ({"type": "read", "identities": {"phone": "13800138000"}}, [("/events/0/occurred_at", "required")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {}}, [("/events/0/identities", "event_no_identity")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"phone": None}},
     [("/events/0/identities", "event_no_identity")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"qq": "123"}},
     [("/events/0/identities/qq", "identity_unknown_kind")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"phone": "1380013800x"}},
     [("/events/0/identities/phone", "bad_phone")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"}, "profile": {
        "email": "a@b.cn", "friends": [1], "name": "太长的一个名字"}},
     [("/events/0/profile/email", "identity_in_profile"), ("/events/0/profile/friends", "event_profile_unsupported"),
      ("/events/0/profile/name", "too_long")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"}, "data": [1],
      "extra": 1}, [("/events/0/extra", "unknown_key"), ("/events/0/data", "not_object")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"}, "data": {"x": "y" * 20000}},
     [("/events/0/data", "too_long")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"}, "id": ""},
     [("/events/0/id", "event_bad_id")]),
    ({"type": "read", "occurred_at": "2024-06-01", "identities": {"unionid": "oX\x00"}},
     [("/events/0/identities/unionid", "bad_text")]),
])
def test_each_problem_is_reported_at_its_place(event, places):
    good, problems = parse(event)
    assert good == [] and [(p.path, p.code) for p in problems[0]] == places


def test_bad_events_leave_the_good_ones_alone():
    good, problems = parse({"type": "a", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"}},
                           {"type": "b", "occurred_at": "bad", "identities": {"phone": "13800138000"}},
                           {"type": "c", "occurred_at": "2024-06-01", "identities": {"email": "x@y.cn"}, "id": "1"},
                           {"type": "d", "occurred_at": "2024-06-01", "identities": {"email": "x@y.cn"}, "id": "1"})
    assert [e.index for e in good] == [0, 2] and sorted(problems) == [1, 3]
    assert [(p.path, p.code) for p in problems[3]] == [("/events/3/id", "duplicate_in_batch")]


def test_fields_the_caller_may_not_write_are_refused_in_profiles():
    _, problems = parse({"type": "a", "occurred_at": "2024-06-01", "identities": {"phone": "13800138000"},
                         "profile": {"name": "x"}}, closed={"name"})
    assert [(p.path, p.code) for p in problems[0]] == [("/events/0/profile/name", "field_not_writable")]
