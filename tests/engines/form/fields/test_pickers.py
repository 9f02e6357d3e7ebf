"""engines/form/fields/pickers.py: radio, switch and cascade."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from fieldcases import UTC, Err, check, make, params

SIZES = {"options": [{"value": "s", "label": "小"}, {"value": "m", "label": "中"}, "L"]}
LABELLED = {"on_label": "启用", "off_label": "停用"}
AREAS = {"options": [
    {"value": "south", "label": "华南", "children": [
        {"value": "gd", "label": "广东", "children": [{"value": "sz", "label": "深圳"}, {"value": "gz", "label": "广州"}]},
        {"value": "hi", "label": "海南"},
    ]},
    {"value": "north", "label": "华北", "children": [{"value": "bj", "label": "北京"}]},
]}
ANY_LEVEL = {**AREAS, "any_level": True}

CASES = [
    # radio: like select, by value or label
    ("radio", SIZES, "m", "m"),
    ("radio", SIZES, "小", "s"),
    ("radio", SIZES, " L ", "L"),
    ("radio", SIZES, "xl", Err("not_option", {"value": "xl", "options": "s, m, L"})),
    ("radio", SIZES, ["s"], Err("not_text")),
    ("radio", SIZES, False, Err("not_text")),
    # switch: yes/no, and its own labels (what an export writes)
    ("switch", {}, True, True),
    ("switch", {}, "否", False),
    ("switch", {}, 1, True),
    ("switch", LABELLED, "启用", True),
    ("switch", LABELLED, " 停用 ", False),
    ("switch", LABELLED, "是", True),
    ("switch", LABELLED, "开启", Err("not_bool", {"value": "开启"})),
    ("switch", {}, "启用", Err("not_bool")),
    ("switch", {}, 2, Err("not_bool")),
    # cascade: the path of values from the top
    ("cascade", AREAS, ["south", "gd", "sz"], ["south", "gd", "sz"]),
    ("cascade", AREAS, ["华南", "广东", "广州"], ["south", "gd", "gz"]),
    ("cascade", AREAS, "华南/广东/深圳", ["south", "gd", "sz"]),
    ("cascade", AREAS, "华南 / 广东 / 深圳", ["south", "gd", "sz"]),
    ("cascade", AREAS, "华南>海南", ["south", "hi"]),  # a leaf above the deepest level
    ("cascade", AREAS, "深圳", ["south", "gd", "sz"]),  # just the leaf, when it is unique
    ("cascade", AREAS, ["north", "bj"], ["north", "bj"]),
    ("cascade", AREAS, ["south", "gd"], Err("cascade_not_leaf", {"value": "广东"})),
    ("cascade", AREAS, "华南", Err("cascade_not_leaf", {"value": "华南"})),
    ("cascade", AREAS, ["south", "bj"], Err("not_option", {"value": "bj", "options": "gd, hi"})),
    ("cascade", AREAS, ["south", "gd", "sz", "more"], Err("not_option", {"value": "more", "options": ""})),
    ("cascade", AREAS, "上海", Err("not_option", {"value": "上海", "options": "south, north"})),
    ("cascade", AREAS, [["south"]], Err("not_text")),
    ("cascade", AREAS, [True], Err("not_text")),
    ("cascade", AREAS, {"value": "south"}, Err("bad_cascade")),
    ("cascade", ANY_LEVEL, ["south", "gd"], ["south", "gd"]),
    ("cascade", ANY_LEVEL, "华北", ["north"]),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind, props, stored, cell", [
    ("radio", SIZES, "s", "小"),
    ("radio", SIZES, "L", "L"),
    ("radio", SIZES, "gone", "gone"),  # an option removed since: the stored value
    ("switch", LABELLED, True, "启用"),
    ("switch", LABELLED, False, "停用"),
    ("switch", {}, True, True),  # the export writes 是/否 for plain booleans
    ("switch", LABELLED, None, None),
    ("cascade", AREAS, ["south", "gd", "sz"], "华南/广东/深圳"),
    ("cascade", AREAS, ["south", "xx"], "south/xx"),
    ("cascade", AREAS, None, None),
])
def test_spreadsheet_cells_read_back_as_the_same_value(kind, props, stored, cell):
    ftype, f = field_type(kind), make(kind, **props)
    assert ftype.to_cell(f, ftype.dump(f, stored, UTC)) == cell
    if stored is not None and cell not in ("gone", "south/xx"):
        assert ftype.coerce(f, cell, UTC) == stored


def test_switch_dump_is_boolean():
    assert field_type("switch").dump(make("switch"), 1, UTC) is True


def test_radio_keeps_select_options_and_adds_a_layout():
    f = make("radio", options=["甲", "乙"], layout="button")
    assert [o.value for o in f.options] == ["甲", "乙"] and f.layout == "button"


@pytest.mark.parametrize("kind, props, expected", [
    ("radio", {"options": ["a", "a"]}, [("/options/1/value", "duplicate_key")]),
    ("switch", {"on_label": "开", "off_label": "开"}, [("/off_label", "same_switch_labels")]),
    ("cascade", {"options": [{"value": "a", "children": [{"value": "x"}, {"value": "x"}]}, {"value": "a"}]},
     [("/options/0/children/1/value", "duplicate_key"), ("/options/1/value", "duplicate_key")]),
    ("cascade", {"options": [{"value": "1", "children": [{"value": "2", "children": [{"value": "3", "children": [
        {"value": "4", "children": [{"value": "5", "children": [{"value": "6", "children": [{"value": "7"}]}]}]}]}]}]}]},
     [("/options/0" + "/children/0" * 5 + "/children", "cascade_too_deep")]),
])
def test_definition_problems(kind, props, expected):
    problems = field_type(kind).check_def(make(kind, **props))
    assert [(p.path, p.code) for p in problems] == expected


@pytest.mark.parametrize("kind, props", [
    ("radio", {}),
    ("radio", {"options": ["a"], "layout": "grid"}),
    ("switch", {"on_label": "x" * 21}),
    ("cascade", {}),
    ("cascade", {"options": []}),
    ("cascade", {"options": [{"value": ""}]}),
    ("cascade", {"options": [{"value": "a", "children": [{"label": "no value"}]}]}),
    ("cascade", {"options": [{"value": "a", "colour": "red"}]}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)


def test_cascade_schema_is_recursive():
    from engines.form.fields import FIELD_MODELS

    schema = FIELD_MODELS["cascade"].model_json_schema()
    option = schema["$defs"]["CascadeOption"]
    assert option["properties"]["children"]["anyOf"][0]["items"] == {"$ref": "#/$defs/CascadeOption"}
