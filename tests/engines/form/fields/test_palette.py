"""What the builder's field palette shows for every type (icon, name), and that every error has a message."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engines.form.fields import FIELD_TYPES
from engines.form.fields.base import FieldType
from engines.problems import MESSAGES

KEYS = FIELD_TYPES.keys()
FIELDS_DIR = Path(__file__).resolve().parents[4] / "engines" / "form" / "fields"


@pytest.mark.parametrize("key", KEYS)
def test_every_type_has_an_icon_and_a_name_in_both_languages(key):
    ftype = FIELD_TYPES.get(key)
    assert re.fullmatch(r"[A-Z][A-Za-z]+(Outlined|Filled|TwoTone)", ftype.icon), ftype.icon
    zh, en = ftype.label
    assert re.search(r"[\u4e00-\u9fff]", zh) and en.isascii() and en[0].isupper()


def test_names_tell_types_apart():
    labels = [FIELD_TYPES.get(key).label for key in KEYS]
    assert len({zh for zh, _ in labels}) == len(labels) and len({en for _, en in labels}) == len(labels)


@pytest.mark.parametrize("module", sorted(FIELDS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_every_error_code_a_field_module_raises_has_both_messages(module):
    source = module.read_text("utf-8")
    codes = set(re.findall(r'FieldError\(\s*"([a-z0-9_]+)"', source))
    codes |= set(re.findall(r'Problem\([^,]+,\s*"([a-z0-9_]+)"', source))
    codes |= set(re.findall(r'bad_code = "([a-z0-9_]+)"', source))
    for code in codes:
        assert code in MESSAGES, f"{module.name}: {code} has no message"
        zh, en = MESSAGES[code]
        assert zh and en


def test_sub_table_rows_take_value_fields_only():
    from engines.form.fields import FIELD_MODELS

    schema = FIELD_MODELS["subtable"].model_json_schema()
    row_types = set(schema["properties"]["fields"]["items"]["discriminator"]["mapping"])
    expected = {t.key for t in FIELD_TYPES if t.in_subtable and t.key != "subtable"}
    assert row_types == expected
    assert {"divider", "note", "created_by", "created_at"}.isdisjoint(row_types)
    assert {"text", "region", "member", "rating"} <= row_types


def test_optional_hooks_default_to_no_change():
    text = FIELD_TYPES.get("text")
    assert FieldType.to_cell(text, None, "abc") == "abc" and FieldType.references(text, None, 1) is None
