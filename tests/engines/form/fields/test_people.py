"""engines/form/fields/people.py: member and department."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.form.record import validate_record
from fieldcases import UTC, Err, check, make, params

MANY = {"many": True}

CASES = [
    ("member", {}, 7, 7),
    ("member", {}, "7", 7),
    ("member", {}, " 7 ", 7),
    ("member", {}, 7.0, 7),
    ("member", {}, {"id": 7, "name": "张三"}, 7),
    ("member", {}, 0, Err("bad_member")),
    ("member", {}, -3, Err("bad_member")),
    ("member", {}, 2**31, Err("bad_member")),
    ("member", {}, "张三", Err("bad_member")),
    ("member", {}, "²", Err("bad_member")),
    ("member", {}, True, Err("bad_member")),
    ("member", {}, [7], Err("bad_member")),
    ("member", {}, {"name": "张三"}, Err("bad_member")),
    ("member", MANY, [7, 9], [7, 9]),
    ("member", MANY, [9, "7", {"id": 9}], [9, 7]),
    ("member", MANY, "7, 9，11", [7, 9, 11]),
    ("member", MANY, 7, [7]),
    ("member", MANY, [7, "x"], Err("bad_member")),
    ("member", {**MANY, "max_items": 2}, [1, 2, 3], Err("too_many_items", {"limit": 2})),
    ("member", {**MANY, "max_items": 2}, [1, 2, 2], [1, 2]),
    ("department", {}, 3, 3),
    ("department", {}, {"id": "3"}, 3),
    ("department", {}, "销售部", Err("bad_department")),
    ("department", MANY, ["3", 4], [3, 4]),
    ("department", MANY, [3, None], Err("bad_department")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind, props, stored, expected", [
    ("member", {}, 7, ("user", [7])),
    ("member", MANY, [7, 9], ("user", [7, 9])),
    ("member", {}, None, None),
    ("department", {}, 3, ("department", [3])),
    ("department", MANY, [3, 4], ("department", [3, 4])),
])
def test_references_name_the_rows_the_runtime_must_find(kind, props, stored, expected):
    assert field_type(kind).references(make(kind, **props), stored) == expected


@pytest.mark.parametrize("kind", ["member", "department"])
def test_one_is_an_integer_column_many_a_json_list(kind):
    ftype = field_type(kind)
    assert ftype.storage_for(make(kind)) == "integer" and ftype.expr_kind_for(make(kind)) == "number"
    assert ftype.storage_for(make(kind, many=True)) == "json" and ftype.expr_kind_for(make(kind, many=True)) == "list"


def test_record_validation_reports_the_place():
    fields = [make("member", required=True), make("department", many=True).model_copy(update={"key": "d"})]
    with pytest.raises(Exception) as info:
        validate_record(fields, {"f": "nobody", "d": [1, "x"]}, UTC)
    assert [(p.path, p.code) for p in info.value.problems] == [("/f", "bad_member"), ("/d", "bad_department")]


@pytest.mark.parametrize("props", [{"many": "lots"}, {"many": True, "max_items": 0}, {"target": "users"}])
def test_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("member", **props)
