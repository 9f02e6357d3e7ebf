"""engines/form/fields/layout.py: divider and note hold no value."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import FIELD_MODELS, field_type
from engines.form.record import validate_record
from fieldcases import UTC, Err, check, make, params

NOTE = {"content": "请如实填写"}

CASES = [
    ("divider", {}, "anything", Err("generated")),
    ("divider", {}, 1, Err("generated")),
    ("note", NOTE, "anything", Err("generated")),
    ("note", NOTE, {"content": "x"}, Err("generated")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce_refuses_values(kind, props, value, expected):
    check(kind, props, value, expected)


def test_layout_has_no_column_and_records_skip_it():
    divider = make("divider", label="联系方式").model_copy(update={"key": "contact_section"})
    note = make("note", **NOTE).model_copy(update={"key": "hint"})
    assert field_type("divider").storage_for(divider) is None and field_type("note").storage_for(note) is None
    assert validate_record([divider, note], {}, UTC) == {}
    with pytest.raises(Exception) as info:
        validate_record([divider, note], {"contact_section": "x"}, UTC)
    assert [(p.path, p.code) for p in info.value.problems] == [("/contact_section", "generated")]


@pytest.mark.parametrize("kind, props, expected", [
    ("divider", {"required": True}, [("/required", "layout_holds_no_value")]),
    ("note", {**NOTE, "default": "x"}, [("/default", "layout_holds_no_value")]),
    ("note", NOTE, []),
])
def test_definition_problems(kind, props, expected):
    problems = field_type(kind).check_def(make(kind, **props))
    assert [(p.path, p.code) for p in problems] == expected


@pytest.mark.parametrize("kind, props", [
    ("note", {}), ("note", {"content": ""}), ("note", {**NOTE, "tone": "loud"}), ("divider", {"style": "dots"}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)


@pytest.mark.parametrize("kind", ["divider", "note"])
def test_not_allowed_in_sub_tables(kind):
    with pytest.raises(ValidationError):
        FIELD_MODELS["subtable"].model_validate(
            {"key": "lines", "type": "subtable", "fields": [{"key": "x", "type": kind, "content": "c"}]})
