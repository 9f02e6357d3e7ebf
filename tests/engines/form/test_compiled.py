"""engines/form/compiled.py: the compiled validator answers exactly as the reference loop, and is built once."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engines.form import record
from engines.form.compiled import FAST_PATHS, compile_validator
from engines.form.definition import FormDef
from engines.form.fields import FIELD_MODELS, FIELD_TYPES
from engines.form.fields.base import Context
from engines.form.record import check_record, validate_record

SHANGHAI = Context(tz=ZoneInfo("Asia/Shanghai"))
UTC = Context(tz=timezone.utc)

OPTIONS = [{"value": "a", "label": "甲"}, {"value": "b", "label": "a"}, {"value": " c ", "label": "丙"},
           {"value": "7", "label": "seven"}]
# Definitions per type with their limits varied; every one is a valid definition.
PROPS = {
    "text": st.fixed_dictionaries({}, optional={"max_length": st.integers(1, 6), "min_length": st.integers(0, 3),
                                                "pattern": st.sampled_from(["[a-z]+", r"\d+"])}),
    "long_text": st.fixed_dictionaries({}, optional={"max_length": st.integers(1, 6)}),
    "number": st.fixed_dictionaries({}, optional={"min": st.sampled_from([0, -1.5, 0.1]),
                                                  "max": st.sampled_from([10, 2.5, 1e16]),
                                                  "decimals": st.integers(0, 3)}),
    "percent": st.fixed_dictionaries({}, optional={"min": st.just(0), "max": st.just(100),
                                                   "decimals": st.integers(0, 2)}),
    "money": st.fixed_dictionaries({}, optional={"min": st.sampled_from([0, 0.1]), "max": st.sampled_from([100, 1e15])}),
    "date": st.fixed_dictionaries({}, optional={"min": st.just("2000-01-01"), "max": st.just("2030-12-31")}),
    "datetime": st.just({}),
    "select": st.just({"options": OPTIONS}),
    "multi_select": st.fixed_dictionaries({"options": st.just(OPTIONS)},
                                          optional={"min_items": st.integers(0, 2), "max_items": st.integers(1, 2)}),
    "checkbox": st.just({}),
    "phone": st.just({}),
    "email": st.just({}),
    "url": st.just({}),
    "relation": st.fixed_dictionaries({"target": st.just("customer")},
                                      optional={"many": st.booleans(), "max_items": st.integers(1, 2)}),
    "tags": st.fixed_dictionaries({}, optional={"max_items": st.integers(1, 3)}),
    "autonumber": st.just({}),
    "formula": st.just({"expr": "1 + 1"}),
    "subtable": st.fixed_dictionaries({"fields": st.just([{"key": "qty", "type": "number", "min": 1, "required": True},
                                                          {"key": "sku", "type": "text", "max_length": 3}])},
                                      optional={"min_rows": st.integers(0, 2), "max_rows": st.integers(1, 2)}),
}
# Types added to the registry later (no fast path of their own) join when a bare definition is valid for them.
for _key in FIELD_TYPES.keys():
    if _key not in PROPS:
        try:
            FIELD_MODELS[_key].model_validate({"key": "f", "type": _key})
        except ValueError:
            continue
        PROPS[_key] = st.just({})

SCALARS = [
    None, "", "  ", "\t", True, False, 0, 1, -1, 7, 7.0, 2**63, -0.0, 1.5, 0.125, 12.345, 1e15, 1e16, 1e300,
    float("inf"), float("nan"), "a", " a ", "b", "甲", " c ", "c", "7", " 7 ", "abc", "abcdefg", "x" * 41, "42",
    "1,234.5", "¥12", "15%", "是", "off", "a,b", "a，b、c", "13800138000", " 13800138000", "13800138000\n",
    "+86 138-0013-8000", "010-12345678", "+442071838750", "１３８００１３８０００", "a@B.Com", "a@b", " a@b.cn ",
    "a@b.cn\n", "http://x.cn", "2026-01-02", "2026/1/2", "2026-13-45", "1999-12-31", "2026-W01-1",
    "2026-01-02T10:00", "2026-01-02 10:00:05", "2026-01-02T10:00Z", "2026-01-02T10:00:00+08:00",
    "2026/01/02 10:00", "0001-01-01T00:00", "soon", Decimal("1.5"), date(2026, 1, 2), datetime(2026, 1, 2, 3, 4),
    {"id": 7, "title": "x"}, {"id": "x"}, {},
]
scalar = st.one_of(st.sampled_from(SCALARS), st.text(max_size=6), st.integers(-5, 20), st.floats(-1e4, 1e4))
value = st.one_of(
    scalar,
    st.lists(scalar, max_size=4),
    st.lists(st.dictionaries(st.sampled_from(["qty", "sku", "id", "zz"]), scalar, max_size=3), max_size=3),
)
DEFAULTS = [None, "", [], {"expr": "TODAY()"}, "a", "甲", "2026-01-02", 3, 2.5, True, ["a", "b"], "x" * 41, "bad"]
# Values at the edges of each type's fast path, so every fast test is pushed from both sides.
EDGES = {
    "text": ["", " ", "\n", "a", "ab", "abc", "abcdef", "abcdefg", "123", " a", "a\n"],
    "number": [-2, -1.5, -1, 0, 0.1, 0.05, 1, 2.5, 2.6, 10, 10.5, 11, 1e15 - 1, 10**15, 1e16, 2e16, 1e300, -1e300,
               10**400, float("nan"), float("inf"), "3", True, 0.123456],
    "money": [0, 0.1, 0.09, 0.005, 0.004, 1, 99.995, 100, 100.004, 100.005, 1e15, 10**15, 10**16 - 1, 1e16, -0.001,
              "1.5", float("nan"), 10**20],
    "date": ["1999-12-31", "2000-01-01", "2030-12-31", "2031-01-01", "2026-02-30", "20260102", "2026-W01-1",
             "2026-01-2 ", "2026-01-02\n", "２０２６-01-02", "2026-01-02T00:00"],
    "datetime": ["2026-01-02T10:00", "2026-01-02T10:00Z", "2026-01-02T10:00:00+08:00", "2026-01-02 10:00",
                 "2026/1/2 10:00", " 2026-01-02T10:00", "2026-01-02T10:00 ", "Z", "0001-01-01T00:00+08:00",
                 "9999-12-31T23:59-08:00", "2026-01-02", "20260102T1000"],
    "select": ["a", "b", " c ", "c", "7", 7, "甲", "seven", " a", "A", ""],
    "multi_select": [["a"], ["a", "a"], ["a", "b"], ["a", "b", "7"], ["a", "甲"], ["c"], [" c "], ["a", 7],
                     ["a", ["b"]], ["a", None], "a,b", []],
    "checkbox": [True, False, 0, 1, 2, "是", "off"],
    "phone": ["13800138000", "12800138000", "1380013800", "138001380000", "13800138000\n", " 13800138000",
              "138-0013-8000", "１３８００１３８０００", 13800138000],
    "email": ["a@b.cn", "A@B.CN", "a@b", "a b@c.cn", "a@b.cn\n", " a@b.cn", "a@" + "b" * 250 + ".cn", "é@b.cn"],
    "relation": [1, 7, 0, -1, 2**63 - 1, 2**63, True, "7", [1, 2], [1, 1], [1, 2, 3], [1, "2"], [0], []],
    "tags": [["a"], ["a", "a"], ["a", "b", "c", "d"], [" a ", "a"], [" "], ["x" * 40], ["x" * 41], ["a", 1], []],
}
EDGES["long_text"], EDGES["percent"] = EDGES["text"], EDGES["number"] + ["15%", " 15 %"]
COMMON_KINDS = sorted(EDGES)


@st.composite
def forms(draw):
    kind = st.one_of(st.sampled_from(COMMON_KINDS), st.sampled_from(COMMON_KINDS), st.sampled_from(sorted(PROPS)))
    kinds = draw(st.lists(kind, min_size=1, max_size=5))
    fields = []
    for i, kind in enumerate(kinds):
        props = draw(PROPS[kind])
        props.update(draw(st.fixed_dictionaries({}, optional={"required": st.booleans(),
                                                              "default": st.sampled_from(DEFAULTS)})))
        fields.append(FIELD_MODELS[kind].model_validate({"key": f"f{i}", "type": kind, **props}))
    return fields


def records(fields):
    """Records for a form: mostly its own fields with edge values, some unknown and system keys."""
    @st.composite
    def record(draw):
        data = {}
        for f in fields:
            if draw(st.sampled_from([True, True, True, False])):  # mostly given
                edges = st.sampled_from(EDGES.get(f.type, SCALARS))
                data[f.key] = draw(st.one_of(edges, edges, value))
        extra = draw(st.dictionaries(st.sampled_from(["id", "owner", "version", "zz", "a/b"]), value, max_size=2))
        data = draw(st.sampled_from([{**data, **extra}, {**extra, **data}]))
        if draw(st.sampled_from([False] * 30 + [True])):
            data = draw(value)  # not an object at all
        return data
    return st.lists(record(), min_size=1, max_size=8)


@st.composite
def cases(draw):
    fields = draw(forms())
    return fields, draw(records(fields)), draw(st.booleans()), draw(st.sampled_from([SHANGHAI, UTC]))


def outcome(run):
    """What a caller sees: clean values and problems (repr: types, order and NaN included), or the exception."""
    try:
        clean, problems = run()
    except Exception as e:  # a value the reference itself cannot take must fail the same way
        return "raised", type(e), str(e)
    return repr(clean), repr(problems)


def reference(fields, data, ctx, partial, form):
    # sub-table rows, too, through the reference loop
    with mock.patch.object(record, "check_record", record._check_record_reference):
        return record._check_record_reference(fields, data, ctx, partial=partial, form=form)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_compiled_and_reference_agree(case):
    fields, datas, partial, ctx = case
    compiled = compile_validator(fields, "orders")
    for data in datas:
        assert outcome(lambda: compiled.check(data, ctx, partial)) == \
            outcome(lambda: reference(fields, data, ctx, partial, "orders"))


# Each common type plain and with its limits set: every edge value and every scalar, through both.
NEEDS = {"select": {"options": OPTIONS}, "multi_select": {"options": OPTIONS}, "relation": {"target": "customer"}}
VARIANTS = [(kind, {**NEEDS.get(kind, {}), **props}) for kind, props in [(kind, {}) for kind in COMMON_KINDS] + [
    ("text", {"max_length": 3, "min_length": 2}), ("text", {"pattern": r"\d+"}),
    ("number", {"min": 0.1, "max": 2.5}), ("number", {"decimals": 0, "min": -1.5, "max": 10}),
    ("percent", {"min": 0, "max": 100, "decimals": 1}), ("money", {"min": 0.1, "max": 100}),
    ("date", {"min": "2000-01-01", "max": "2030-12-31"}), ("multi_select", {"min_items": 2, "max_items": 2}),
    ("relation", {"many": True, "max_items": 2}), ("tags", {"max_items": 2}),
]]


@pytest.mark.parametrize("kind, props", VARIANTS, ids=lambda x: x if isinstance(x, str) else ",".join(x))
def test_every_edge_value_agrees(kind, props):
    for required in (False, True):
        fields = [FIELD_MODELS[kind].model_validate({"key": "f", "type": kind, "required": required, **props})]
        compiled = compile_validator(fields, "orders")
        for v in EDGES[kind] + SCALARS:
            for partial in (False, True):
                assert outcome(lambda: compiled.check({"f": v}, SHANGHAI, partial)) == \
                    outcome(lambda: reference(fields, {"f": v}, SHANGHAI, partial, "orders")), (v, partial)


ORDER = FormDef.model_validate({
    "key": "order", "name": "订单",
    "fields": [
        {"key": "no", "type": "autonumber"},
        {"key": "customer", "type": "relation", "target": "customer", "required": True},
        {"key": "status", "type": "select", "default": "paid", "options": ["paid", "refunded"]},
        {"key": "lines", "type": "subtable", "fields": [
            {"key": "qty", "type": "number", "min": 1, "required": True},
            {"key": "price", "type": "money", "required": True}]},
        {"key": "paid_at", "type": "datetime"},
        {"key": "tags", "type": "tags", "default": ["新客"]},
        {"key": "due", "type": "date", "default": {"expr": "TODAY() + 7"}},
    ],
})


def test_what_a_client_sends_is_coerced_as_before():
    data = {"customer": 7, "lines": [{"qty": 2, "price": 59.9}], "paid_at": "2026-11-20T10:15:00Z",
            "tags": ["复购", " 复购 ", "宝妈"], "id": 3}
    clean, problems = check_record(ORDER.fields, data, SHANGHAI, form="order")
    assert problems == []
    assert clean == {"customer": 7, "status": "paid", "lines": [{"qty": 2.0, "price": Decimal("59.90")}],
                     "paid_at": datetime(2026, 11, 20, 10, 15), "tags": ["复购", "宝妈"]}
    assert (clean, problems) == reference(ORDER.fields, data, SHANGHAI, False, "order")


def test_problems_come_in_the_reference_order_with_its_params():
    data = {"zz": 1, "no": "x", "owner": 0, "status": "nope", "lines": [{"qty": 0, "price": "x", "q": 1}]}
    clean, problems = check_record(ORDER.fields, data, SHANGHAI, form="order")
    assert [(p.path, p.code) for p in problems] == [
        ("/zz", "unknown_field"), ("/owner", "bad_reference"), ("/no", "generated"), ("/customer", "required"),
        ("/status", "not_option"), ("/lines/0/q", "unknown_field"), ("/lines/0/qty", "too_small"),
        ("/lines/0/price", "not_number")]
    assert problems[0].params == {"form": "order", "key": "zz"}
    assert (clean, problems) == reference(ORDER.fields, data, SHANGHAI, False, "order")


def test_a_definition_is_compiled_once():
    first = compile_validator(ORDER.fields, "order")
    assert compile_validator(ORDER.fields, "order") is first
    assert compile_validator(list(ORDER.fields), "order") is not first  # another list: another definition
    assert compile_validator(ORDER.fields, "other") is not first  # problems name the form
    check_record(ORDER.fields, {"customer": 1}, SHANGHAI, form="order")
    assert compile_validator(ORDER.fields, "order") is first


def test_common_types_take_the_inline_fast_path():
    source = compile_validator(ORDER.fields, "order").source
    assert "elif type(v) is int and 0 < v <" in source  # customer: a relation id as the client sends it
    assert "elif type(v) is str and v in frozenset" in source  # status
    assert {"text", "number", "money", "date", "datetime", "select", "multi_select", "checkbox", "phone",
            "email", "relation", "tags"} <= set(FAST_PATHS.keys())


def test_a_type_without_a_fast_path_goes_through_its_own_coerce():
    fields = [FIELD_MODELS["url"].model_validate({"key": "site", "type": "url"})]
    assert "url" not in FAST_PATHS
    assert validate_record(fields, {"site": " https://x.cn/a "}, UTC) == {"site": "https://x.cn/a"}
    _, problems = check_record(fields, {"site": "ftp://x"}, UTC)
    assert [(p.path, p.code) for p in problems] == [("/site", "bad_url")]


def test_iterables_other_than_lists_are_checked_by_the_reference():
    clean, problems = check_record(iter(ORDER.fields), {"customer": "7"}, SHANGHAI, form="order")
    assert (clean, problems) == ({"customer": 7, "status": "paid", "tags": ["新客"]}, [])


@pytest.mark.parametrize("data", [[], "x", None, 5])
def test_a_record_must_be_an_object(data):
    assert compile_validator(ORDER.fields, "order").check(data, SHANGHAI) == \
        reference(ORDER.fields, data, SHANGHAI, False, "order")
