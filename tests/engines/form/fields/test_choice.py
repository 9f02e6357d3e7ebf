"""engines/form/fields/choice.py: select, multi_select and checkbox."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from fieldcases import UTC, Err, check, make, params

STATUS = {"options": [{"value": "paid", "label": "已支付"}, {"value": "refunded", "label": "已退款"}]}
NUMBERED = {"options": ["1", "2"]}  # plain strings: value = label
TAGS = {"options": [{"value": "a", "label": "A"}, "b", "c"]}

CASES = [
    # select: by value, then by label (imports carry labels)
    ("select", STATUS, "paid", "paid"),
    ("select", STATUS, " paid ", "paid"),
    ("select", STATUS, "已退款", "refunded"),
    ("select", STATUS, "other", Err("not_option", {"value": "other", "options": "paid, refunded"})),
    ("select", STATUS, "PAID", Err("not_option")),
    ("select", STATUS, True, Err("not_text")),
    ("select", STATUS, ["paid"], Err("not_text")),
    ("select", STATUS, {"value": "paid"}, Err("not_text")),
    ("select", NUMBERED, "1", "1"),
    ("select", NUMBERED, 2, "2"),
    ("select", NUMBERED, 1.5, Err("not_option")),
    # multi_select: a list or a spreadsheet cell, kept in order without repeats
    ("multi_select", TAGS, ["a", "b"], ["a", "b"]),
    ("multi_select", TAGS, ["b", "a"], ["b", "a"]),
    ("multi_select", TAGS, "a, b", ["a", "b"]),
    ("multi_select", TAGS, "a，b、c", ["a", "b", "c"]),
    ("multi_select", TAGS, ["a", "A", "a"], ["a"]),
    ("multi_select", TAGS, ["a", "x"], Err("not_option", {"value": "x", "options": "a, b, c"})),
    ("multi_select", TAGS, 5, Err("not_list")),
    ("multi_select", TAGS, {"a": True}, Err("not_list")),
    ("multi_select", TAGS, [True], Err("not_text")),
    ("multi_select", TAGS, [["a"]], Err("not_text")),
    ("multi_select", {**TAGS, "min_items": 2}, ["a"], Err("too_few_items", {"limit": 2})),
    ("multi_select", {**TAGS, "min_items": 2}, ["a", "a"], Err("too_few_items", {"limit": 2})),  # counted after de-duplication
    ("multi_select", {**TAGS, "min_items": 2}, ["a", "b"], ["a", "b"]),
    ("multi_select", {**TAGS, "max_items": 2}, ["a", "b", "c"], Err("too_many_items", {"limit": 2})),
    ("multi_select", {**TAGS, "max_items": 2}, ["a", "b", "b"], ["a", "b"]),
    # checkbox
    ("checkbox", {}, True, True),
    ("checkbox", {}, False, False),
    ("checkbox", {}, 1, True),
    ("checkbox", {}, 0, False),
    ("checkbox", {}, "true", True),
    ("checkbox", {}, " TRUE ", True),
    ("checkbox", {}, "yes", True),
    ("checkbox", {}, "是", True),
    ("checkbox", {}, "√", True),
    ("checkbox", {}, "No", False),
    ("checkbox", {}, "否", False),
    ("checkbox", {}, "off", False),
    ("checkbox", {}, "0", False),
    ("checkbox", {}, 2, Err("not_bool", {"value": 2})),
    ("checkbox", {}, 1.0, Err("not_bool")),
    ("checkbox", {}, "maybe", Err("not_bool", {"value": "maybe"})),
    ("checkbox", {}, [True], Err("not_bool")),
    ("checkbox", {}, {"checked": True}, Err("not_bool")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("stored, expected", [(1, True), (0, False), (True, True), (None, None)])
def test_checkbox_dump(stored, expected):
    assert field_type("checkbox").dump(make("checkbox"), stored, UTC) is expected


def test_plain_string_options_are_shorthand():
    f = make("select", options=["水果", {"value": "veg", "label": "蔬菜", "color": "#0a0"}])
    assert [(o.value, o.label) for o in f.options] == [("水果", "水果"), ("veg", "蔬菜")]
    assert f.options[1].color == "#0a0"


@pytest.mark.parametrize("kind, options, expected", [
    ("select", ["a", "b"], []),
    ("select", ["a", "b", "a"], [("/options/2/value", "duplicate_key", {"key": "a", "other": "/options/0"})]),
    ("select", [{"value": "x", "label": "One"}, {"value": "x", "label": "Two"}, "y", "y"], [
        ("/options/1/value", "duplicate_key", {"key": "x", "other": "/options/0"}),
        ("/options/3/value", "duplicate_key", {"key": "y", "other": "/options/2"}),
    ]),
    ("multi_select", ["a", "a", "a"], [
        ("/options/1/value", "duplicate_key", {"key": "a", "other": "/options/0"}),
        ("/options/2/value", "duplicate_key", {"key": "a", "other": "/options/0"}),
    ]),
])
def test_check_def_duplicate_option_values(kind, options, expected):
    problems = field_type(kind).check_def(make(kind, options=options))
    assert [(p.path, p.code, p.params) for p in problems] == expected


@pytest.mark.parametrize("kind, props", [
    ("select", {}),  # options are required
    ("select", {"options": []}),
    ("select", {"options": [""]}),
    ("select", {"options": [{"value": "a", "colour": "red"}]}),
    ("select", {"options": [{"label": "no value"}]}),
    ("select", {"options": "a,b"}),
    ("multi_select", {"options": ["a"], "max_items": 0}),
    ("multi_select", {"options": ["a"], "min_items": -1}),
    ("checkbox", {"options": ["a"]}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)
