"""engines/form/fields/system.py: created_by, updated_by, created_at, updated_at shown as fields."""
from __future__ import annotations

from datetime import datetime

import pytest

from engines.form.fields import FIELD_MODELS, field_type
from engines.form.record import validate_record
from fieldcases import SHANGHAI, UTC, Err, check, make, params

SYSTEM = ["created_by", "updated_by", "created_at", "updated_at"]

CASES = [(kind, {}, value, Err("generated")) for kind in SYSTEM for value in (7, "2024-01-01", "x")]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce_refuses_values(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind", SYSTEM)
def test_they_show_a_system_column_and_have_none_of_their_own(kind):
    ftype = field_type(kind)
    assert ftype.system_column == kind
    assert ftype.is_generated and ftype.storage is None and ftype.storage_for(make(kind)) is None
    assert not ftype.unique_ok and not ftype.in_subtable


def test_record_validation_ignores_them_unless_a_client_sets_them():
    fields = [make("created_by").model_copy(update={"key": "maker"}), make("updated_at").model_copy(update={"key": "changed"})]
    assert validate_record(fields, {"maker": None}, UTC) == {}
    with pytest.raises(Exception) as info:
        validate_record(fields, {"maker": 7, "changed": "2024-01-01"}, UTC)
    assert [(p.path, p.code) for p in info.value.problems] == [("/maker", "generated"), ("/changed", "generated")]


def test_dump():
    assert field_type("created_by").dump(make("created_by"), 7, UTC) == 7
    assert field_type("created_by").references(make("created_by"), 7) == ("user", [7])
    assert field_type("updated_by").references(make("updated_by"), None) is None
    moment = datetime(2024, 1, 1, 16, 0)  # stored in UTC
    assert field_type("created_at").dump(make("created_at"), moment, SHANGHAI) == "2024-01-02T00:00:00+08:00"
    assert field_type("updated_at").dump(make("updated_at"), None, SHANGHAI) is None


def test_not_allowed_in_sub_tables():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        FIELD_MODELS["subtable"].model_validate(
            {"key": "lines", "type": "subtable", "fields": [{"key": "by", "type": "created_by"}]})
