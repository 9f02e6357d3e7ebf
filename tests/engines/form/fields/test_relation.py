"""engines/form/fields/relation.py: links to one record (a column) or many (a link table)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from fieldcases import Err, check, make, params

ONE = {"target": "customer"}
MANY = {"target": "community", "many": True}

CASES = [
    # one: an id, its text, or the {"id", "title"} object the API hands out
    ("relation", ONE, 7, 7),
    ("relation", ONE, "7", 7),
    ("relation", ONE, " 7 ", 7),
    ("relation", ONE, {"id": 7, "title": "张三"}, 7),
    ("relation", ONE, {"id": "7"}, 7),
    ("relation", ONE, 2**63 - 1, 2**63 - 1),
    ("relation", ONE, 0, Err("bad_reference", {})),
    ("relation", ONE, -1, Err("bad_reference")),
    ("relation", ONE, 2**63, Err("bad_reference")),
    ("relation", ONE, True, Err("bad_reference")),
    ("relation", ONE, 7.0, Err("bad_reference")),
    ("relation", ONE, "7a", Err("bad_reference")),
    ("relation", ONE, "-7", Err("bad_reference")),
    ("relation", ONE, "²", Err("bad_reference")),  # str.isdigit() is True, int() refuses it
    ("relation", ONE, "٣", Err("bad_reference")),  # non-ASCII digits are not ids
    ("relation", ONE, {"title": "张三"}, Err("bad_reference")),
    ("relation", ONE, [7], Err("bad_reference")),
    # many: a list of ids, in order without repeats; a single id is a list of one
    ("relation", MANY, [1, 2, 2, "3"], [1, 2, 3]),
    ("relation", MANY, [{"id": 4}, 5], [4, 5]),
    ("relation", MANY, 5, [5]),
    ("relation", MANY, {"id": 5}, [5]),
    ("relation", MANY, [1, "x"], Err("bad_reference")),
    ("relation", MANY, [[1]], Err("bad_reference")),
    ("relation", {**MANY, "max_items": 2}, [1, 2, 3], Err("too_many_items", {"limit": 2})),
    ("relation", {**MANY, "max_items": 2}, [1, 1, 2], [1, 2]),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("props, storage", [(ONE, "integer"), (MANY, None)])
def test_storage_depends_on_many(props, storage):
    assert field_type("relation").storage_for(make("relation", **props)) == storage


@pytest.mark.parametrize("props", [
    {},  # target is required
    {"target": "Customer"},
    {"target": "1x"},
    {"target": "customer", "max_items": 0},
    {"target": "customer", "form": "customer"},
])
def test_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("relation", **props)
