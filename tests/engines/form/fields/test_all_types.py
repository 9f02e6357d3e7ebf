"""Contract over the whole field-type registry: every type has a model, a widget, a storage, and its own tests."""
from __future__ import annotations

import importlib.util
import typing
from pathlib import Path

import pytest

from engines.form.fields import FIELD_MODELS, FIELD_TYPES, TYPES
from engines.form.fields.base import STORAGES, FieldBase, FieldError, FieldType
from engines.form.record import validate_record
from engines.problems import ProblemsError
from fieldcases import UTC, Err, Rows, make

HERE = Path(__file__).parent
KEYS = FIELD_TYPES.keys()

# The least each type needs to be a valid definition.
MINIMAL = {
    "select": {"options": ["a"]},
    "multi_select": {"options": ["a"]},
    "relation": {"target": "customer"},
    "subtable": {"fields": [{"key": "qty", "type": "number"}]},
    "formula": {"expr": "1 + 1"},
    "radio": {"options": ["a"]},
    "cascade": {"options": [{"value": "a"}]},
    "note": {"content": "说明"},
    "lookup": {"relation": "customer", "field": "name"},
    "rollup": {"relation": "lines", "agg": "count"},
}
EMPTY_VALUES = [None, "", "   ", [], {}]


def _cases_in(module_file: Path) -> list[tuple]:
    spec = importlib.util.spec_from_file_location(f"_field_cases_{module_file.stem}", module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def test_registry_is_the_explicit_list():
    assert KEYS == [t.key for t in TYPES]
    assert len(set(KEYS)) == len(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_every_type_has_cases_in_its_mirrored_test_module(key):
    module = type(FIELD_TYPES.get(key)).__module__  # engines.form.fields.number
    test_file = HERE / f"test_{module.rsplit('.', 1)[1]}.py"
    assert test_file.exists(), f"{key}: no {test_file.name} next to this test"
    cases = _cases_in(test_file)
    ok = [c for c in cases if c[0] == key and not isinstance(c[3], (Err, Rows))]
    errors = [c for c in cases if c[0] == key and isinstance(c[3], (Err, Rows))]
    assert errors, f"{key}: {test_file.name} has no failing case"
    if not FIELD_TYPES.get(key).is_generated:
        assert ok, f"{key}: {test_file.name} has no accepted case"


@pytest.mark.parametrize("key", KEYS)
def test_every_type_is_complete(key):
    ftype = FIELD_TYPES.get(key)
    assert isinstance(ftype, FieldType) and ftype.key == key
    assert issubclass(ftype.props, FieldBase)
    assert isinstance(ftype.widget, str) and ftype.widget
    assert ftype.storage is None or ftype.storage in STORAGES
    # the definition model carries the type as its tag
    model = FIELD_MODELS[key]
    assert issubclass(model, ftype.props)
    assert typing.get_args(model.model_fields["type"].annotation) == (key,)
    f = make(key, **MINIMAL.get(key, {}))
    assert f.type == key
    storage = ftype.storage_for(f)
    assert storage is None or storage in STORAGES
    assert ftype.check_def(f) == []
    # a generated type refuses client values; every type has a coerce of its own
    assert type(ftype).coerce is not FieldType.coerce
    if ftype.is_generated:
        with pytest.raises(FieldError) as info:
            ftype.coerce(f, "x", UTC)
        assert info.value.code == "generated"


def test_models_cover_every_type_and_nothing_else():
    assert set(FIELD_MODELS) == set(KEYS)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("empty", EMPTY_VALUES, ids=repr)
def test_empty_values_are_handled_by_record_validation(key, empty):
    """Types never see empty input: validate_record turns it into "no value" (or `required`)."""
    optional = make(key, **MINIMAL.get(key, {}))
    required = make(key, required=True, **MINIMAL.get(key, {}))
    generated = FIELD_TYPES.get(key).is_generated
    assert validate_record([optional], {"f": empty}, UTC) == ({} if generated else {"f": None})
    if generated:
        assert validate_record([required], {"f": empty}, UTC) == {}
        return
    with pytest.raises(ProblemsError) as info:
        validate_record([required], {"f": empty}, UTC)
    assert [(p.path, p.code) for p in info.value.problems] == [("/f", "required")]
    with pytest.raises(ProblemsError):  # a PATCH cannot empty a required field either
        validate_record([required], {"f": empty}, UTC, partial=True)


def test_every_type_is_documented_for_builders():
    docs = (HERE.parents[3] / "docs" / "forms.md").read_text(encoding="utf-8")
    missing = [key for key in KEYS if f"| `{key}` |" not in docs]
    assert missing == [], f"docs/forms.md does not describe {missing}"
