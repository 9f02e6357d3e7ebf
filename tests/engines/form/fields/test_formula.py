"""engines/form/fields/formula.py: values computed by an expression; never set by a client."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from engines.form.fields import FIELD_MODELS, field_type
from engines.form.fields.base import Context
from fieldcases import Err, check, params

CASES = [
    ("formula", {"expr": "a + 1"}, 3, Err("generated", {})),
    ("formula", {"expr": "a", "result": "text"}, "x", Err("generated")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("result, storage", [(None, "float"), ("number", "float"), ("money", "decimal"),
                                             ("percent", "float"), ("text", "text"), ("date", "date"),
                                             ("datetime", "datetime"), ("checkbox", "boolean")])
def test_storage_follows_the_result(result, storage):
    f = FIELD_MODELS["formula"].model_validate({"key": "f", "type": "formula", "expr": "1", "result": result})
    assert field_type("formula").storage_for(f) == storage


@pytest.mark.parametrize("result, stored, shown", [("money", Decimal("12.50"), 12.5), ("number", 3.0, 3),
                                                   ("date", date(2026, 1, 2), "2026-01-02"), ("checkbox", 1, True),
                                                   ("text", None, None)])
def test_dump_shows_the_value_as_its_result_type(result, stored, shown):
    f = FIELD_MODELS["formula"].model_validate({"key": "f", "type": "formula", "expr": "1", "result": result})
    assert field_type("formula").dump(f, stored, Context()) == shown


@pytest.mark.parametrize("props", [{}, {"expr": ""}, {"expr": "1", "result": "list"}, {"expr": "1", "min": "lots"},
                                   {"expr": "1", "min": 0, "message": ""}])
def test_bad_definitions_are_refused(props):
    with pytest.raises(ValidationError):
        FIELD_MODELS["formula"].model_validate({"key": "f", "type": "formula", **props})
