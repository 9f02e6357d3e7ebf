"""engines/form/fields/tags.py: free tags, an ordered set of short labels."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from fieldcases import Err, check, make, params

CASES = [
    ("tags", {}, ["高价值客户", "宝妈"], ["高价值客户", "宝妈"]),
    ("tags", {}, "a, b，c、d", ["a", "b", "c", "d"]),
    ("tags", {}, [" a ", "a", "", "b"], ["a", "b"]),
    ("tags", {}, ["  "], None),  # nothing left after trimming
    ("tags", {"options": ["x"]}, ["y"], ["y"]),  # options are only suggestions
    ("tags", {}, ["x" * 40], ["x" * 40]),
    ("tags", {}, ["x" * 41], Err("too_long", {"limit": 40})),
    ("tags", {}, [1], Err("not_text", {})),
    ("tags", {}, ["a", None], Err("not_text")),
    ("tags", {}, 5, Err("not_list")),
    ("tags", {}, {"a": 1}, Err("not_list")),
    ("tags", {"max_items": 2}, ["a", "b", "c"], Err("too_many_items", {"limit": 2})),
    ("tags", {"max_items": 2}, ["a", "b", "a"], ["a", "b"]),
    ("tags", {}, [f"t{i}" for i in range(100)], [f"t{i}" for i in range(100)]),
    ("tags", {}, [f"t{i}" for i in range(101)], Err("too_many_items", {"limit": 100})),  # 100 by default
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("props", [{"max_items": 0}, {"max_items": 1001}, {"options": "a,b"}, {"min_items": 1}])
def test_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("tags", **props)
