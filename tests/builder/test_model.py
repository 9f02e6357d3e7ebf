"""builder/model.py: the app format's models, the JSON Schema published from them, and dump round trips."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from builder.model import FORMAT, AppDef, app_json_schema
from builder.validate import validate_app
from engines.form.fields import FIELD_TYPES

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "scrm_app.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return app_json_schema()


@pytest.fixture(scope="module")
def validator(schema):
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def template() -> dict:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def schema_errors(validator, doc) -> list[str]:
    return ["/" + "/".join(map(str, e.absolute_path)) for e in validator.iter_errors(doc)]


def test_schema_is_valid_draft_2020_12(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == FORMAT
    assert schema["$id"] == "https://nocode.local/schema/app.json"
    assert schema["additionalProperties"] is False


def test_schema_names_every_field_type(schema):
    text = json.dumps(schema)
    for key in FIELD_TYPES.keys():
        assert json.dumps({"const": key})[1:-1] in text, key


def test_template_validates_against_the_schema(validator, template):
    assert schema_errors(validator, template) == []


def test_option_shorthand_is_in_the_schema(validator, template):
    # plain strings as options are part of the format (APP_FORMAT.md), so the schema must accept them
    field = {"key": "c", "type": "select", "options": ["a", {"value": "b", "label": "B"}]}
    doc = {"format": FORMAT, "key": "x", "name": "X", "forms": [{"key": "f", "name": "F", "fields": [field]}]}
    assert schema_errors(validator, doc) == []
    field["options"] = [""]
    assert schema_errors(validator, doc) != []


# (mutation of the template, the document fails the schema) — the schema must agree with validate_app
SCHEMA_CASES = {
    "unknown field type": (lambda d: d["forms"][0]["fields"][0].update(type="rainbow"), True),
    "unknown app key": (lambda d: d.update(colour="red"), True),
    "unknown field key": (lambda d: d["forms"][0]["fields"][0].update(colour="red"), True),
    "unknown option key": (lambda d: next(f for f in d["forms"][0]["fields"] if f["key"] == "level")["options"][0]
                           .update(colour="red"), True),
    "bad form key": (lambda d: d["forms"][0].update(key="Leader"), True),
    "wrong format": (lambda d: d.update(format="nocode.app/v2"), True),
    "relation without target": (lambda d: d["forms"][1]["fields"][1].pop("target"), True),
    "pending section not empty": (lambda d: d.update(rules=[{"key": "f"}]), True),
    "pending section empty": (lambda d: d.update(rules=[], roles=[], flows=[]), False),  # flows name roles
    "no data": (lambda d: d.pop("data"), False),
}


@pytest.mark.parametrize("mutate, fails", list(SCHEMA_CASES.values()), ids=list(SCHEMA_CASES))
def test_schema_agrees_with_the_models(validator, template, mutate, fails):
    mutate(template)
    assert bool(schema_errors(validator, template)) is fails
    try:
        validate_app(template)
        valid = True
    except Exception:
        valid = False
    assert valid is not fails


def test_unknown_field_type_fails_at_the_field(validator, template):
    template["forms"][0]["fields"][0]["type"] = "rainbow"
    assert "/forms/0/fields/0" in schema_errors(validator, template)


def test_dump_round_trips_the_template(template):
    app = validate_app(template)
    dumped = app.dump()
    assert dumped["format"] == FORMAT
    # compare values, not models: a decision table used by DECIDE keeps its compiled form as a private cache
    assert validate_app(dumped).model_dump() == app.model_dump()
    assert validate_app(json.loads(json.dumps(dumped))).model_dump() == app.model_dump()  # through real JSON


def test_dump_leaves_defaults_out_and_keeps_order(template):
    dumped = validate_app(template).dump()
    leader = dumped["forms"][0]
    assert [f["key"] for f in leader["fields"]] == [f["key"] for f in template["forms"][0]["fields"]]
    name = leader["fields"][0]
    assert "required" in name and "unique" not in name and "hidden" not in name
    assert "currency" not in json.dumps(dumped)
    assert "views" not in validate_app({**template, "views": []}).dump()  # an empty section is left out
    # shorthand options come back as objects, which read the same
    channel = dumped["forms"][1]["fields"][2]
    assert channel["options"][0] == {"value": "企业微信群", "label": "企业微信群"}


def test_dumped_template_validates_against_the_schema(validator, template):
    assert schema_errors(validator, validate_app(template).dump()) == []


def test_dump_round_trips_every_field_type():
    doc = {"format": FORMAT, "key": "all", "name": "全部", "forms": [
        {"key": "other", "name": "Other", "fields": [{"key": "name", "type": "text"}]},
        {"key": "every", "name": "Every", "fields": [
            {"key": "t", "type": "text", "pattern": "^a", "max_length": 9, "min_length": 1},
            {"key": "lt", "type": "long_text"},
            {"key": "n", "type": "number", "min": 0, "max": 9.5, "decimals": 2, "default": 1},
            {"key": "m", "type": "money", "currency": "USD", "default": "1.5"},
            {"key": "p", "type": "percent", "default": "15%"},
            {"key": "d", "type": "date", "min": "2024-01-01", "default": "2024/1/2"},
            {"key": "dt", "type": "datetime", "hidden": True},
            {"key": "s", "type": "select", "options": ["a", {"value": "b", "label": "B", "color": "red"}]},
            {"key": "ms", "type": "multi_select", "options": ["a"], "min_items": 1, "max_items": 1},
            {"key": "c", "type": "checkbox", "default": False},
            {"key": "ph", "type": "phone", "unique": True},
            {"key": "e", "type": "email", "readonly": True},
            {"key": "u", "type": "url", "width": 2},
            {"key": "r", "type": "relation", "target": "other", "many": True, "max_items": 3},
            {"key": "tg", "type": "tags", "max_items": 5},
            {"key": "no", "type": "autonumber", "pattern": "X{seq:3}"},
            {"key": "fx", "type": "formula", "expr": "n * 2", "result": "money"},
            {"key": "tm", "type": "time", "min": "9:00", "default": "9:30"},
            {"key": "rd", "type": "radio", "options": ["a", "b"], "layout": "vertical"},
            {"key": "sw", "type": "switch", "on_label": "开", "off_label": "关", "default": "开"},
            {"key": "idn", "type": "id_number", "old_form": "reject", "unique": True},
            {"key": "rg", "type": "region", "level": "city", "default": "广东省深圳市"},
            {"key": "ad", "type": "address", "detail_required": False},
            {"key": "lo", "type": "location", "coordinates": "wgs84"},
            {"key": "ra", "type": "rating", "max": 10, "default": 3},
            {"key": "rt", "type": "rich_text", "max_length": 5000},
            {"key": "bc", "type": "barcode", "format": "ean13"},
            {"key": "co", "type": "color", "presets": ["#fff"], "default": "#1677ff"},
            {"key": "sl", "type": "slider", "min": 0, "max": 1, "step": 0.1},
            {"key": "du", "type": "duration", "default": "1h"},
            {"key": "cs", "type": "cascade", "options": [{"value": "a", "children": [{"value": "b"}]}]},
            {"key": "mb", "type": "member", "many": True},
            {"key": "dp", "type": "department"},
            {"key": "cb", "type": "created_by"}, {"key": "ub", "type": "updated_by"},
            {"key": "ca", "type": "created_at"}, {"key": "ua", "type": "updated_at"},
            {"key": "dv", "type": "divider", "label": "联系方式"}, {"key": "nt", "type": "note", "content": "说明"},
            {"key": "wx", "type": "wechat"},
            {"key": "att", "type": "attachment", "accept": [".pdf", "image/*"], "max_files": 2},
            {"key": "img", "type": "image"}, {"key": "sig", "type": "signature"},
            {"key": "rel1", "type": "relation", "target": "other"},
            {"key": "lk", "type": "lookup", "relation": "rel1", "field": "name"},
            {"key": "ru", "type": "rollup", "relation": "sub", "agg": "sum", "field": "q", "filter": "q > 0"},
            {"key": "sub", "type": "subtable", "max_rows": 5, "fields": [
                {"key": "q", "type": "number"}, {"key": "r", "type": "relation", "target": "other"}]},
        ]},
    ], "menus": [{"label": "M", "children": [{"label": "E", "form": "every"}]}],
        "data": {"other": [{"$id": "o1", "name": "x"}]}}
    used = {f["type"] for form in doc["forms"] for f in form["fields"]}
    assert used == set(FIELD_TYPES.keys())
    app = validate_app(copy.deepcopy(doc))
    again = validate_app(json.loads(json.dumps(app.dump())))
    assert again == app
    assert again.dump() == app.dump()
    assert again.form("every").field("m").currency == "USD"


def test_app_def_rejects_unknown_keys_directly():
    with pytest.raises(ValidationError):
        AppDef.model_validate({"format": FORMAT, "key": "x", "name": "X", "colour": "red"})
