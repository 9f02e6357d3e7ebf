"""engines/form/fields/text.py: text and long_text."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.problems import Problem
from fieldcases import Err, check, make, params

CASES = [
    # coercion
    ("text", {}, "hello", "hello"),
    ("text", {}, "张三", "张三"),
    ("text", {}, 123, "123"),
    ("text", {}, 1.5, "1.5"),
    # wrong types
    ("text", {}, True, Err("not_text", {})),
    ("text", {}, ["a"], Err("not_text")),
    ("text", {}, {"a": 1}, Err("not_text")),
    # length: 200 by default, max_length when given
    ("text", {}, "x" * 200, "x" * 200),
    ("text", {}, "x" * 201, Err("too_long", {"limit": 200})),
    ("text", {"max_length": 5}, "abcde", "abcde"),
    ("text", {"max_length": 5}, "abcdef", Err("too_long", {"limit": 5})),
    ("text", {"max_length": 500}, "x" * 300, "x" * 300),
    ("text", {"min_length": 3}, "ab", Err("too_short", {"limit": 3})),
    ("text", {"min_length": 3}, "abc", "abc"),
    ("text", {"max_length": 2}, "张三", "张三"),  # characters, not bytes
    # pattern must match the whole value
    ("text", {"pattern": r"[A-Z]{3}-\d+"}, "ABC-12", "ABC-12"),
    ("text", {"pattern": r"[A-Z]{3}-\d+"}, "abc-12", Err("pattern_mismatch")),
    ("text", {"pattern": r"[A-Z]{3}-\d+"}, "ABC-12x", Err("pattern_mismatch")),
    ("text", {"pattern": r"[A-Z]{3}-\d+"}, "xABC-12", Err("pattern_mismatch")),
    # a pathological pattern must not stall: bounded time, then no match
    ("text", {"pattern": r"(a+)+b"}, "a" * 60 + "c", Err("pattern_mismatch")),
    ("text", {"pattern": r"(\w+\s?)+$"}, "x" * 60 + "!", Err("pattern_mismatch")),
    # long text: 50 000 by default, newlines kept
    ("long_text", {}, "line 1\nline 2", "line 1\nline 2"),
    ("long_text", {}, "x" * 50_000, "x" * 50_000),
    ("long_text", {}, "x" * 50_001, Err("too_long", {"limit": 50_000})),
    ("long_text", {"max_length": 10}, "x" * 11, Err("too_long", {"limit": 10})),
    ("long_text", {}, [1], Err("not_text")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind, props, expected", [
    ("text", {}, []),
    ("text", {"pattern": r"^\d{3}$"}, []),
    ("text", {"pattern": "("}, [("/pattern", "invalid_regex")]),
    ("long_text", {"pattern": "[a-"}, [("/pattern", "invalid_regex")]),
])
def test_check_def(kind, props, expected):
    problems = field_type(kind).check_def(make(kind, **props))
    assert [(p.path, p.code) for p in problems] == expected
    assert all(isinstance(p, Problem) and p.params["error"] for p in problems)


@pytest.mark.parametrize("props", [
    {"max_length": 0},
    {"min_length": -1},
    {"pattern": "x" * 501},
    {"max_len": 5},  # typo: unknown keys are errors
])
def test_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("text", **props)
