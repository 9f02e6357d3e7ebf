"""engines/form/fields/scale.py: rating and slider."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from fieldcases import UTC, Err, check, make, params

PERCENT_STEPS = {"min": 0, "max": 1, "step": 0.1}

CASES = [
    ("rating", {}, 1, 1),
    ("rating", {}, 5, 5),
    ("rating", {}, "4", 4),
    ("rating", {}, 3.0, 3),
    ("rating", {}, "★★★☆☆", 3),
    ("rating", {"max": 10}, 10, 10),
    ("rating", {}, 6, Err("too_large", {"limit": 5})),
    ("rating", {}, 0, Err("too_small", {"limit": 1})),
    ("rating", {}, "☆☆☆", Err("too_small", {"limit": 1})),
    ("rating", {}, 2.5, Err("not_integer")),
    ("rating", {}, "good", Err("not_number")),
    ("rating", {}, True, Err("not_number")),
    ("slider", {}, 0, 0.0),
    ("slider", {}, 100, 100.0),
    ("slider", {}, "42", 42.0),
    ("slider", {}, 42.5, Err("off_step", {"step": 1, "min": 0})),
    ("slider", {}, -1, Err("too_small", {"limit": 0})),
    ("slider", {}, 100.5, Err("too_large", {"limit": 100})),
    ("slider", {}, "lots", Err("not_number")),
    ("slider", {}, [1], Err("not_number")),
    ("slider", PERCENT_STEPS, 0.3, 0.3),  # exact decimal steps: 0.3 is 3 × 0.1
    ("slider", PERCENT_STEPS, 0.35, Err("off_step", {"step": 0.1, "min": 0})),
    ("slider", {"min": 5, "max": 50, "step": 5}, 15, 15.0),
    ("slider", {"min": 5, "max": 50, "step": 5}, 12, Err("off_step", {"step": 5, "min": 5})),
    ("slider", {"min": -10, "max": 10, "step": 2.5}, -7.5, -7.5),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


def test_slider_dump_prints_whole_numbers_as_integers():
    slider = field_type("slider")
    assert slider.dump(make("slider"), 40.0, UTC) == 40 and slider.dump(make("slider"), 0.5, UTC) == 0.5


@pytest.mark.parametrize("props, expected", [
    ({"min": 10, "max": 10}, [("/max", "bad_range")]),
    ({"min": 10, "max": 0}, [("/max", "bad_range")]),
    ({"min": 0, "max": 10, "step": 20}, [("/step", "too_large")]),
    ({"min": 0, "max": 10, "step": 2}, []),
])
def test_slider_definition_problems(props, expected):
    problems = field_type("slider").check_def(make("slider", **props))
    assert [(p.path, p.code) for p in problems] == expected


@pytest.mark.parametrize("kind, props", [
    ("rating", {"max": 11}), ("rating", {"max": 0}), ("rating", {"max": "five"}),
    ("slider", {"step": 0}), ("slider", {"step": -1}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)
