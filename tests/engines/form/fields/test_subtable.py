"""engines/form/fields/subtable.py: child rows validated like small records, problems addressed by row."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.problems import ProblemsError
from fieldcases import UTC, Err, Rows, check, make, params

LINES = {"fields": [
    {"key": "product", "type": "relation", "target": "product"},
    {"key": "qty", "type": "number", "min": 1, "required": True},
    {"key": "price", "type": "money", "default": "1"},
    {"key": "no", "type": "autonumber"},
]}

CASES = [
    ("subtable", LINES, [{"qty": 2, "price": "9.9"}], [{"qty": 2.0, "price": Decimal("9.90")}]),
    ("subtable", LINES, [{"qty": "3", "product": {"id": 8}}],
     [{"product": 8, "qty": 3.0, "price": Decimal("1.00")}]),  # defaults apply in every row
    ("subtable", LINES, [{"qty": 1, "price": None}], [{"qty": 1.0, "price": None}]),
    # a row keeps the id it had, so edits keep row identity; anything else is dropped
    ("subtable", LINES, [{"id": 4, "qty": 1}], [{"qty": 1.0, "price": Decimal("1.00"), "id": 4}]),
    ("subtable", LINES, [{"id": True, "qty": 1}], [{"qty": 1.0, "price": Decimal("1.00")}]),
    ("subtable", LINES, [{"id": "4", "qty": 1}], [{"qty": 1.0, "price": Decimal("1.00")}]),
    ("subtable", LINES, [{"id": -1, "qty": 1}], [{"qty": 1.0, "price": Decimal("1.00")}]),
    ("subtable", LINES, [{"owner": 3, "version": 2, "qty": 1}], [{"qty": 1.0, "price": Decimal("1.00")}]),
    # wrong shapes
    ("subtable", LINES, "qty=1", Err("not_list", {})),
    ("subtable", LINES, {"qty": 1}, Err("not_list")),
    ("subtable", LINES, 3, Err("not_list")),
    # row counts
    ("subtable", {**LINES, "max_rows": 1}, [{"qty": 1}, {"qty": 2}], Err("too_many_items", {"limit": 1})),
    ("subtable", {**LINES, "min_rows": 2}, [{"qty": 1}], Err("too_few_items", {"limit": 2})),
    ("subtable", {**LINES, "min_rows": 1, "max_rows": 1}, [{"qty": 1}], [{"qty": 1.0, "price": Decimal("1.00")}]),
    # every problem of every row at once, by row and field
    ("subtable", LINES, [{"qty": 0}, {"qty": 1}, {"qty": "x", "price": "y"}, {}], Rows([
        ("/0/qty", "too_small"),
        ("/2/qty", "not_number"), ("/2/price", "not_number"),
        ("/3/qty", "required"),
    ])),
    ("subtable", LINES, [{"qty": 1, "colour": "red"}, "row", 5], Rows([
        ("/0/colour", "unknown_field"), ("/1", "not_object"), ("/2", "not_object"),
    ])),
    ("subtable", LINES, [{"qty": 1, "no": "L-1"}], Rows([("/0/no", "generated")])),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


def test_unknown_column_names_the_subtable():
    f = make("subtable", **LINES)
    with pytest.raises(ProblemsError) as info:
        field_type("subtable").coerce(f, [{"qty": 1, "sku": "x"}], UTC)
    (problem,) = info.value.problems
    assert problem.params == {"form": "f", "key": "sku"}


def test_sub_fields_are_parsed_into_their_own_models():
    f = make("subtable", **LINES)
    assert [type(sub).__name__ for sub in f.fields] == ["RelationField", "NumberField", "MoneyField", "AutonumberField"]
    assert field_type("subtable").storage_for(f) is None


@pytest.mark.parametrize("props", [
    {},  # fields are required
    {"fields": []},
    {"fields": [{"key": "inner", "type": "subtable", "fields": [{"key": "x", "type": "text"}]}]},  # no nesting
    {"fields": [{"key": "x", "type": "rainbow"}]},
    {"fields": [{"key": "x", "type": "text", "colour": "red"}]},
    {"fields": [{"key": "x", "type": "text"}], "min_rows": -1},
    {"fields": [{"key": "x", "type": "text"}], "max_rows": 0},
    {"fields": [{"key": "x", "type": "text"}], "max_rows": 10_001},
])
def test_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("subtable", **props)
