"""engines/form/record.py: one record's values against its form, every problem at once by JSON pointer."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engines.form.definition import FormDef
from engines.form.fields.base import Context
from engines.form.record import check_record, coerce_value, is_empty, validate_record
from engines.problems import Problem, ProblemsError

SHANGHAI = Context(tz=ZoneInfo("Asia/Shanghai"))

ORDER = FormDef.model_validate({
    "key": "order", "name": "订单", "title_field": "no",
    "fields": [
        {"key": "no", "type": "autonumber", "pattern": "DD{YYYYMMDD}{seq:4}"},
        {"key": "customer", "type": "relation", "target": "customer", "required": True},
        {"key": "status", "type": "select", "default": "paid",
         "options": [{"value": "paid", "label": "已支付"}, {"value": "refunded", "label": "已退款"}]},
        {"key": "lines", "type": "subtable", "fields": [
            {"key": "product", "type": "relation", "target": "product", "required": True},
            {"key": "qty", "type": "number", "min": 1, "required": True},
            {"key": "price", "type": "money", "required": True}]},
        {"key": "paid_at", "type": "datetime"},
        {"key": "note", "type": "text", "max_length": 10},
        {"key": "tags", "type": "tags", "default": ["新客"]},
        {"key": "vip", "type": "checkbox", "default": False},
    ],
})


def validate(data, **kw):
    return validate_record(ORDER.fields, data, SHANGHAI, form="order", **kw)


def problems_of(data, **kw) -> list[tuple[str, str]]:
    with pytest.raises(ProblemsError) as info:
        validate(data, **kw)
    return [(p.path, p.code) for p in info.value.problems]


def test_create_coerces_and_applies_defaults():
    clean = validate({"customer": "7", "lines": [{"product": 1, "qty": "2", "price": "59.9"}],
                      "paid_at": "2026-11-20 10:15"})
    assert clean == {
        "customer": 7, "status": "paid",
        "lines": [{"product": 1, "qty": 2.0, "price": Decimal("59.90")}],
        "paid_at": datetime(2026, 11, 20, 2, 15),
        "tags": ["新客"], "vip": False,
    }


def test_create_explicit_value_beats_the_default():
    clean = validate({"customer": 1, "status": "已退款", "tags": "a,b", "vip": "是"})
    assert (clean["status"], clean["tags"], clean["vip"]) == ("refunded", ["a", "b"], True)


def test_create_explicit_empty_clears_the_default():
    clean = validate({"customer": 1, "status": None, "tags": []})
    assert clean["status"] is None and clean["tags"] is None


def test_partial_checks_only_what_is_given_and_applies_no_defaults():
    assert validate({"note": "hi"}, partial=True) == {"note": "hi"}
    assert validate({}, partial=True) == {}
    assert validate({"status": None}, partial=True) == {"status": None}


@pytest.mark.parametrize("data, partial, expected", [
    ({}, False, [("/customer", "required")]),
    ({"customer": None}, False, [("/customer", "required")]),
    ({"customer": ""}, True, [("/customer", "required")]),  # PATCH cannot blank a required field
    ({"customer": "  "}, True, [("/customer", "required")]),
    ({"customer": []}, True, [("/customer", "required")]),
    ({"note": "x"}, True, []),  # absent required fields are fine in a PATCH
])
def test_required_on_create_and_partial(data, partial, expected):
    if expected:
        assert problems_of(data, partial=partial) == expected
    else:
        validate(data, partial=partial)


def test_every_problem_at_once_with_json_pointers():
    problems = problems_of({
        "no": "DD1", "bogus": 1, "a/b": 2, "status": "zzz", "note": "x" * 11, "paid_at": "soon",
        "lines": [{"product": 1, "qty": 0, "price": 1}, {"product": 2, "qty": 1, "price": 1},
                  {"qty": "x", "price": "1e30", "colour": "red"}, "row"],
    })
    assert problems == [
        ("/bogus", "unknown_field"),
        ("/a~1b", "unknown_field"),  # RFC 6901 escaping
        ("/no", "generated"),
        ("/customer", "required"),
        ("/status", "not_option"),
        ("/lines/0/qty", "too_small"),
        ("/lines/2/colour", "unknown_field"),
        ("/lines/2/product", "required"),
        ("/lines/2/qty", "not_number"),
        ("/lines/2/price", "too_large"),
        ("/lines/3", "not_object"),
        ("/paid_at", "not_datetime"),
        ("/note", "too_long"),
    ]


def test_problem_params_and_messages():
    with pytest.raises(ProblemsError) as info:
        validate({"customer": 1, "bogus": 1, "lines": [{"product": 1, "qty": 0, "price": 1}]})
    unknown, too_small = info.value.problems
    assert unknown.params == {"form": "order", "key": "bogus"}
    assert unknown.message("en") == "form 'order' has no field 'bogus'"
    assert unknown.message("zh-CN") == "表单「order」没有字段「bogus」"
    assert too_small.path == "/lines/0/qty" and too_small.message("en") == "must be at least 1"
    assert "/lines/0/qty: must be at least 1" in str(info.value)


def test_sub_table_unknown_column_names_the_sub_table():
    with pytest.raises(ProblemsError) as info:
        validate({"customer": 1, "lines": [{"product": 1, "qty": 1, "price": 1, "sku": "x"}]})
    (problem,) = info.value.problems
    assert (problem.path, problem.params) == ("/lines/0/sku", {"form": "lines", "key": "sku"})


@pytest.mark.parametrize("system", ["id", "created_at", "updated_at", "created_by", "version"])
def test_system_fields_echoed_back_are_ignored(system):
    assert validate({system: "anything", "note": "hi"}, partial=True) == {"note": "hi"}


@pytest.mark.parametrize("owner, expected", [(7, 7), ("7", 7), ({"id": 7, "title": "Ann"}, 7), (None, None), ("", None)])
def test_owner_passes_through_as_an_int(owner, expected):
    clean = validate({"owner": owner}, partial=True)
    assert clean.get("owner") == expected
    assert ("owner" in clean) == (expected is not None)


@pytest.mark.parametrize("owner", [0, -3, True, "abc", 1.5, [7]])
def test_bad_owner_is_a_problem(owner):
    assert problems_of({"owner": owner}, partial=True) == [("/owner", "bad_reference")]


@pytest.mark.parametrize("value", ["DD202611260001", 1, ["x"]])
def test_generated_fields_are_rejected_on_create_and_partial(value):
    assert problems_of({"customer": 1, "no": value}) == [("/no", "generated")]
    assert problems_of({"no": value}, partial=True) == [("/no", "generated")]


@pytest.mark.parametrize("empty", [None, "", []])
def test_generated_fields_echoed_empty_are_ignored(empty):
    assert validate({"no": empty}, partial=True) == {}


def test_generated_fields_get_no_default_on_create():
    assert "no" not in validate({"customer": 1})


def test_sub_table_row_ids_survive_a_partial_update():
    clean = validate({"lines": [{"id": 11, "product": 1, "qty": 1, "price": 2}]}, partial=True)
    assert clean == {"lines": [{"product": 1, "qty": 1.0, "price": Decimal("2.00"), "id": 11}]}


@pytest.mark.parametrize("data", [[], "x", None, 5])
def test_a_record_must_be_an_object(data):
    with pytest.raises(ProblemsError) as info:
        validate(data)
    assert [(p.path, p.code) for p in info.value.problems] == [("", "not_object")]


@pytest.mark.parametrize("value, empty", [
    (None, True), ("", True), ("  \t", True), ([], True), ({}, True),
    (0, False), (False, False), ("0", False), ([None], False), (date(2024, 1, 1), False),
])
def test_is_empty(value, empty):
    assert is_empty(value) is empty


def test_coerce_value_never_calls_the_type_for_empty_input():
    date_field = next(f for f in ORDER.fields if f.key == "paid_at")
    assert coerce_value(date_field, "", SHANGHAI) is None
    assert coerce_value(date_field, "2026-01-01T08:00", SHANGHAI) == datetime(2026, 1, 1, 0, 0)


def test_check_record_returns_the_valid_part_beside_the_problems():
    clean, problems = check_record(ORDER.fields, {"customer": "7", "status": "zzz", "note": "hi", "bogus": 1},
                                   SHANGHAI, form="order")
    assert clean == {"customer": 7, "note": "hi", "tags": ["新客"], "vip": False}
    assert [(p.path, p.code) for p in problems] == [("/bogus", "unknown_field"), ("/status", "not_option")]
    assert check_record(ORDER.fields, "x", SHANGHAI) == ({}, [Problem("", "not_object")])
    assert check_record(ORDER.fields, {"note": "ok"}, SHANGHAI, partial=True) == ({"note": "ok"}, [])


MINIMUMS = FormDef.model_validate({"key": "order", "name": "订单", "fields": [
    {"key": "lines", "type": "subtable", "min_rows": 1, "fields": [{"key": "qty", "type": "number"}]},
    {"key": "channels", "type": "multi_select", "options": ["社群", "直播"], "min_items": 1}]})


@pytest.mark.parametrize("data, partial", [({}, False), ({"lines": [], "channels": []}, False),
                                           ({"lines": None, "channels": ""}, True)])
def test_an_empty_value_still_breaks_a_minimum(data, partial):
    _, problems = check_record(MINIMUMS.fields, data, SHANGHAI, partial=partial)
    assert [(p.path, p.code) for p in problems] == [("/lines", "too_few_items"), ("/channels", "too_few_items")]


def test_a_partial_update_without_the_field_leaves_minimums_alone():
    assert check_record(MINIMUMS.fields, {}, SHANGHAI, partial=True) == ({}, [])
