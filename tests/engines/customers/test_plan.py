"""Resolution planning: which events are one person, which customer they are, which customers merge, and what an
existing customer gains from its events."""
from __future__ import annotations

from datetime import date, datetime

from engines.customers import ParsedEvent, fill, fold, plan
from engines.form.definition import FormDef
from engines.form.fields.base import Context


def event(index: int, *keys, minute: int = 0, fields: dict | None = None, profile: dict | None = None) -> ParsedEvent:
    keys = [(k[0], k[1], k[2]) if len(k) == 3 else (k[0], "", k[1]) for k in keys]
    return ParsedEvent(index, "visit", datetime(2024, 6, 1, 10, minute), keys, {k[0]: k[2] for k in keys},
                       fields or {}, profile or {})


PHONE, UNION, MAIL = ("phone", "13800138000"), ("unionid", "U1"), ("email", "a@b.cn")
AGE = {7: (datetime(2023, 1, 1), 7), 9: (datetime(2024, 1, 1), 9), 11: (datetime(2022, 1, 1), 11)}


def test_unknown_people_sharing_an_identity_become_one_new_customer():
    groups = plan([event(0, PHONE), event(1, PHONE, UNION), event(2, UNION), event(3, MAIL)], {}, {}, AGE)
    assert [[e.index for e in g.events] for g in groups] == [[0, 1, 2], [3]]
    assert [g.survivor for g in groups] == [None, None]
    assert groups[0].claim == [("phone", "", "13800138000"), ("unionid", "", "U1")]


def test_known_identities_find_their_customer_and_only_new_ones_are_claimed():
    (group,) = plan([event(0, PHONE, UNION)], {("phone", "", "13800138000"): 7}, {}, AGE)
    assert group.survivor == 7 and group.merged == [] and group.claim == [("unionid", "", "U1")]


def test_an_event_tying_two_customers_merges_the_newer_into_the_older():
    stored = {("phone", "", "13800138000"): 9, ("unionid", "", "U1"): 7}
    (group,) = plan([event(0, PHONE, UNION)], stored, {}, AGE)
    assert (group.survivor, group.merged) == (7, [9])
    assert sorted(group.links) == [(("phone", "", "13800138000"), 9), (("unionid", "", "U1"), 7)]


def test_identities_typed_into_customers_fields_count_and_several_holders_merge():
    (group,) = plan([event(0, MAIL)], {}, {("email", "", "a@b.cn"): [9, 11]}, AGE)
    assert (group.survivor, group.merged) == (11, [9]) and group.claim == [("email", "", "a@b.cn")]


def test_chains_across_events_of_a_batch_resolve_as_one_person():
    stored = {("phone", "", "13800138000"): 9, ("email", "", "a@b.cn"): 7}
    groups = plan([event(0, PHONE, UNION), event(1, UNION, ("device", "d1")), event(2, ("device", "d1"), MAIL)],
                  stored, {}, AGE)
    assert len(groups) == 1 and (groups[0].survivor, groups[0].merged) == (7, [9])


def test_openids_of_different_channels_are_different_people():
    groups = plan([event(0, ("openid", "mp", "o1")), event(1, ("openid", "miniapp", "o1"))], {}, {}, AGE)
    assert len(groups) == 2


def test_the_newest_value_wins_and_lists_add_up():
    values = fold([event(0, PHONE, minute=1, profile={"city": "杭州", "tags": ["宝妈"]}),
                   event(1, PHONE, minute=5, profile={"city": "上海", "tags": ["爱水果", "宝妈"], "note": " "}),
                   event(2, PHONE, minute=3, fields={"phone": "13800138000"}, profile={"city": "苏州"})])
    assert values == {"city": "上海", "tags": ["宝妈", "爱水果"], "phone": "13800138000"}


FORM = FormDef.model_validate({"key": "customer", "name": "客户", "fields": [
    {"key": "city", "type": "text"}, {"key": "nickname", "type": "text"}, {"key": "birthday", "type": "date"},
    {"key": "tags", "type": "tags"}]})
FIELDS = {f.key: f for f in FORM.fields}


def test_existing_customers_only_gain_what_is_missing_unless_channels_own_the_field():
    current = {"city": "上海", "nickname": "旧", "birthday": None, "tags": ["宝妈"]}
    incoming = {"city": "杭州", "nickname": "新", "birthday": "1990-05-20", "tags": ["宝妈", "爱水果"]}
    assert fill(FIELDS, current, incoming, {"nickname"}, Context()) == {
        "nickname": "新", "birthday": "1990-05-20", "tags": ["宝妈", "爱水果"]}
    same = {"city": "上海", "nickname": "新", "birthday": date(1990, 5, 20), "tags": ["宝妈", "爱水果"]}
    assert fill(FIELDS, same, incoming, {"nickname"}, Context()) == {}
