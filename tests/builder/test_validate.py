"""builder/validate.py: a whole app document, every problem at once, each at its JSON pointer."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from builder.model import AppDef
from builder.validate import validate_app
from engines.form.fields import FIELD_TYPES
from engines.problems import ProblemsError

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "scrm_app.json"


def full_app() -> dict:
    """A valid document using every field type and every checked cross-reference."""
    return {
        "format": "nocode.app/v1", "key": "shop", "name": "小店", "version": "1.2.0", "description": "测试",
        "forms": [
            {"key": "customer", "name": "客户", "title_field": "name", "icon": "user", "fields": [
                {"key": "name", "type": "text", "label": "姓名", "required": True, "max_length": 50},
                {"key": "phone", "type": "phone", "unique": True},
                {"key": "email", "type": "email"},
                {"key": "site", "type": "url"},
                {"key": "note", "type": "long_text"},
                {"key": "born", "type": "date", "min": "1900-01-01"},
                {"key": "level", "type": "select", "default": "gold",
                 "options": [{"value": "gold", "label": "金牌", "color": "#d4af37"}, "silver"]},
                {"key": "hobbies", "type": "multi_select", "options": ["跑步", "读书"], "max_items": 2},
                {"key": "vip", "type": "checkbox", "default": True},
                {"key": "tags", "type": "tags", "options": ["宝妈"]},
                {"key": "referrer", "type": "relation", "target": "customer"},
            ]},
            {"key": "order", "name": "订单", "title_field": "no", "fields": [
                {"key": "no", "type": "autonumber", "pattern": "DD{YYYYMMDD}{seq:4}", "unique": True},
                {"key": "customer", "type": "relation", "target": "customer", "required": True},
                {"key": "lines", "type": "subtable", "min_rows": 1, "fields": [
                    {"key": "product", "type": "text", "required": True},
                    {"key": "qty", "type": "number", "min": 1, "decimals": 0, "default": 1},
                    {"key": "price", "type": "money", "min": 0}]},
                {"key": "discount", "type": "percent", "min": 0, "max": 100, "default": "10%"},
                {"key": "amount", "type": "money", "default": 0},
                {"key": "paid_at", "type": "datetime", "default": "2026-01-01T08:00:00"},
                {"key": "sku", "type": "text", "pattern": "^[A-Z0-9-]{3,30}$", "default": "ABC-1"},
            ]},
        ],
        "menus": [{"label": "客户", "form": "customer"},
                  {"label": "更多", "children": [{"label": "订单", "form": "order", "icon": "cart"}]}],
        "data": {"customer": [{"$id": "c1", "name": "张三"}], "order": []},
    }


def problems(doc) -> list[tuple[str, str]]:
    with pytest.raises(ProblemsError) as info:
        validate_app(doc)
    return [(p.path, p.code) for p in info.value.problems]


def problem_at(doc, path):
    with pytest.raises(ProblemsError) as info:
        validate_app(doc)
    return next(p for p in info.value.problems if p.path == path)


def test_full_app_is_valid():
    app = validate_app(full_app())
    assert isinstance(app, AppDef)
    assert [f.key for f in app.forms] == ["customer", "order"]
    order = app.form("order")
    assert order.field("lines").fields[1].type == "number"
    assert app.form("customer").field("level").options[1].label == "silver"  # shorthand expanded
    assert app.form("nope") is None


def test_template_validates():
    app = validate_app(json.loads(TEMPLATE.read_text(encoding="utf-8")))
    assert app.key == "scrm"
    assert {f.key for f in app.forms} >= {"customer", "order", "product"}


def test_minimal_app_is_valid():
    app = validate_app({"format": "nocode.app/v1", "key": "x", "name": "X"})
    assert app.forms == [] and app.version == "1.0.0"


def _set(path: str, value):
    """A mutation: set `value` at a slash path of full_app() ("forms/0/fields/0/colour")."""
    def apply(doc):
        *parents, last = path.split("/")
        target = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return apply


def _append(path: str, value):
    def apply(doc):
        target = doc
        for part in path.split("/"):
            target = target[int(part)] if isinstance(target, list) else target[part]
        target.append(value)
    return apply


# (mutation of full_app(), the problems expected: (path, code), all of them and nothing else)
CASES = {
    # unknown keys anywhere
    "unknown app key": (_set("colour", "red"), [("/colour", "unknown_key")]),
    "unknown form key": (_set("forms/0/colour", "red"), [("/forms/0/colour", "unknown_key")]),
    "unknown field key": (_set("forms/0/fields/0/colour", "red"), [("/forms/0/fields/0/colour", "unknown_key")]),
    "unknown option key": (_set("forms/0/fields/6/options/0/colour", "red"),
                           [("/forms/0/fields/6/options/0/colour", "unknown_key")]),
    "unknown sub-field key": (_set("forms/1/fields/2/fields/1/colour", "red"),
                              [("/forms/1/fields/2/fields/1/colour", "unknown_key")]),
    "unknown menu key": (_set("menus/1/children/0/colour", "red"), [("/menus/1/children/0/colour", "unknown_key")]),
    "a property of another type": (_set("forms/0/fields/2/max_length", 5),
                                   [("/forms/0/fields/2/max_length", "unknown_key")]),
    # keys
    "bad app key": (_set("key", "My App"), [("/key", "bad_key")]),
    # …and everything that pointed at the form now points nowhere
    "bad form key": (_set("forms/0/key", "Customer"), [("/data/customer", "unknown_form"),
                                                       ("/forms/0/fields/10/target", "unknown_target"),
                                                       ("/forms/0/key", "bad_key"),
                                                       ("/forms/1/fields/1/target", "unknown_target"),
                                                       ("/menus/0/form", "unknown_form")]),
    "bad field key": (_set("forms/0/fields/3/key", "1site"), [("/forms/0/fields/3/key", "bad_key")]),
    "field key too long": (_set("forms/0/fields/3/key", "s" * 41), [("/forms/0/fields/3/key", "bad_key")]),
    "bad relation target": (_set("forms/0/fields/10/target", "Cust omer"), [("/forms/0/fields/10/target", "bad_key"),
                                                                            ("/forms/0/fields/10/target", "unknown_target")]),
    "duplicate form key": (_append("forms", {"key": "order", "name": "又一个", "fields": [{"key": "a", "type": "text"}]}),
                           [("/forms/2/key", "duplicate_key")]),
    "duplicate field key": (_set("forms/0/fields/2/key", "phone"), [("/forms/0/fields/2/key", "duplicate_key")]),
    "duplicate sub-field key": (_set("forms/1/fields/2/fields/2/key", "qty"),
                                [("/forms/1/fields/2/fields/2/key", "duplicate_key")]),
    "same key in a form and its sub-table is fine": (_set("forms/1/fields/2/fields/0/key", "customer"), []),
    "reserved field key": (_set("forms/0/fields/2/key", "created_at"), [("/forms/0/fields/2/key", "reserved_key")]),
    "reserved sub-field key": (_set("forms/1/fields/2/fields/0/key", "id"),
                               [("/forms/1/fields/2/fields/0/key", "reserved_key")]),
    # types
    "unknown field type": (_set("forms/0/fields/3/type", "rainbow"), [("/forms/0/fields/3/type", "unknown_field_type")]),
    "missing field type": (_set("forms/0/fields/3", {"key": "site"}), [("/forms/0/fields/3/type", "required")]),
    "nested sub-table": (_set("forms/1/fields/2/fields/0", {"key": "inner", "type": "subtable",
                                                           "fields": [{"key": "x", "type": "text"}]}),
                         [("/forms/1/fields/2/fields/0/type", "nested_subtable")]),
    # cross-references
    "relation target missing": (_set("forms/1/fields/1/target", "client"), [("/forms/1/fields/1/target", "unknown_target")]),
    "relation in a sub-table checked too": (_set("forms/1/fields/2/fields/0", {"key": "p", "type": "relation", "target": "product"}),
                                            [("/forms/1/fields/2/fields/0/target", "unknown_target")]),
    "title_field missing": (_set("forms/0/title_field", "nickname"), [("/forms/0/title_field", "unknown_title_field")]),
    "title_field is tags": (_set("forms/0/title_field", "tags"), [("/forms/0/title_field", "bad_title_field")]),
    "title_field is a sub-table": (_set("forms/1/title_field", "lines"), [("/forms/1/title_field", "bad_title_field")]),
    "title_field is a checkbox": (_set("forms/0/title_field", "vip"), [("/forms/0/title_field", "bad_title_field")]),
    "title_field is long text": (_set("forms/0/title_field", "note"), [("/forms/0/title_field", "bad_title_field")]),
    "title_field may be a serial number": (_set("forms/1/title_field", "no"), []),
    "title_field bad key": (_set("forms/0/title_field", "Name"), [("/forms/0/title_field", "bad_key"),
                                                                  ("/forms/0/title_field", "unknown_title_field")]),
    "menu to unknown form": (_set("menus/0/form", "ghost"), [("/menus/0/form", "unknown_form")]),
    "nested menu to unknown form": (_set("menus/1/children/0/form", "ghost"), [("/menus/1/children/0/form", "unknown_form")]),
    "menu to a dashboard": (_set("menus/0", {"label": "看板", "dashboard": "main"}), [("/menus/0/dashboard", "unknown_dashboard")]),
    "data for unknown form": (_set("data/ghost", []), [("/data/ghost", "unknown_form")]),
    "data that is not a list of records": (_set("data/order", {"a": 1}), [("/data/order", "schema")]),
    # sections and features that have no engine yet
    "linkage naming an unknown field": (_set("forms/0/linkage", [{"when": "TRUE", "show": ["ghost"]}]),
                                        [("/forms/0/linkage/0/show/0", "unknown_field")]),
    "linkage with a bad condition": (_set("forms/0/linkage", [{"when": "1 +", "hide": []}]),
                                     [("/forms/0/linkage/0/when", "expr_syntax")]),
    "empty linkage is fine": (_set("forms/0/linkage", []), []),
    "default expression through sub-table rows": (_set("forms/1/fields/4/default", {"expr": "SUM(lines.price)"}),
                                                  [("/forms/1/fields/4/default/expr", "expr_default_scope")]),
    "default expression of the wrong type": (_set("forms/1/fields/4/default", {"expr": "'free'"}),
                                             [("/forms/1/fields/4/default/expr", "expr_wrong_result")]),
    "default expression is fine": (_set("forms/1/fields/4/default", {"expr": "IF(TRUE, 1, 0) * 2"}), []),
    # defaults must be valid values of their field
    "default not an option": (_set("forms/0/fields/6/default", "bronze"), [("/forms/0/fields/6/default", "not_option")]),
    "default below min": (_set("forms/1/fields/2/fields/1/default", 0), [("/forms/1/fields/2/fields/1/default", "too_small")]),
    "default not a date-time": (_set("forms/1/fields/5/default", "soon"), [("/forms/1/fields/5/default", "not_datetime")]),
    "default off pattern": (_set("forms/1/fields/6/default", "abc"), [("/forms/1/fields/6/default", "pattern_mismatch")]),
    "default of a relation": (_set("forms/0/fields/10/default", "x"), [("/forms/0/fields/10/default", "bad_reference")]),
    "default rows checked": (_set("forms/1/fields/2/default", [{"product": "a", "qty": 0}]),
                             [("/forms/1/fields/2/default/0/qty", "too_small")]),
    "default of a checkbox": (_set("forms/0/fields/8/default", "maybe"), [("/forms/0/fields/8/default", "not_bool")]),
    # unique
    "unique tags": (_set("forms/0/fields/9/unique", True), [("/forms/0/fields/9/unique", "unique_not_supported")]),
    "unique checkbox": (_set("forms/0/fields/8/unique", True), [("/forms/0/fields/8/unique", "unique_not_supported")]),
    "unique multi_select": (_set("forms/0/fields/7/unique", True), [("/forms/0/fields/7/unique", "unique_not_supported")]),
    "unique sub-table": (_set("forms/1/fields/2/unique", True), [("/forms/1/fields/2/unique", "unique_not_supported")]),
    "unique many-relation": (_set("forms/0/fields/10", {"key": "friends", "type": "relation", "target": "customer",
                                                        "many": True, "unique": True}),
                             [("/forms/0/fields/10/unique", "unique_not_supported")]),
    "unique one-relation is fine": (_set("forms/0/fields/10/unique", True), []),
    # definition checks of the types
    "bad regex": (_set("forms/1/fields/6", {"key": "sku", "type": "text", "pattern": "[A-"}), [("/forms/1/fields/6/pattern", "invalid_regex")]),
    "duplicate option values": (_set("forms/0/fields/7/options", ["跑步", "读书", "跑步"]),
                                [("/forms/0/fields/7/options/2/value", "duplicate_key")]),
    "bad serial pattern": (_set("forms/1/fields/0/pattern", "DD{YYYYMMDD}"), [("/forms/1/fields/0/pattern", "bad_autonumber_pattern")]),
    # plain schema errors keep their place
    "wrong format": (_set("format", "nocode.app/v2"), [("/format", "bad_format")]),
    "missing name": (lambda doc: doc.pop("name"), [("/name", "required")]),
    "form without fields": (_set("forms/1/fields", []), [("/forms/1/fields", "schema"),
                                                         ("/forms/1/title_field", "unknown_title_field")]),
    "required not a boolean": (_set("forms/0/fields/0/required", "yes please"), [("/forms/0/fields/0/required", "schema")]),
}


@pytest.mark.parametrize("mutate, expected", list(CASES.values()), ids=list(CASES))
def test_problems(mutate, expected):
    doc = full_app()
    mutate(doc)
    if expected:
        assert problems(doc) == expected
    else:
        validate_app(doc)


def test_every_problem_at_once_in_document_order():
    doc = full_app()
    doc["colour"] = "red"
    doc["rules"] = [{"key": "f"}]
    customer, order = doc["forms"]
    customer["extra"] = True
    customer["title_field"] = "nickname"
    customer["fields"][0]["colour"] = "red"
    customer["fields"][2]["key"] = "phone"
    customer["fields"][3]["key"] = "version"
    customer["fields"][4]["type"] = "rainbow"
    customer["fields"][6]["default"] = "bronze"
    customer["fields"][9]["unique"] = True
    customer["linkage"] = [{"when": "x"}]
    order["fields"][1]["target"] = "client"
    order["fields"][2]["fields"][2]["key"] = "qty"
    doc["forms"].append({"key": "order", "name": "重复", "fields": [{"key": "a", "type": "text"}]})
    doc["menus"][1]["children"][0]["form"] = "ghost"
    doc["data"]["ghost"] = []
    assert problems(doc) == [
        ("/colour", "unknown_key"),
        ("/data/ghost", "unknown_form"),
        ("/forms/0/extra", "unknown_key"),
        ("/forms/0/fields/0/colour", "unknown_key"),
        ("/forms/0/fields/2/key", "duplicate_key"),
        ("/forms/0/fields/3/key", "reserved_key"),
        ("/forms/0/fields/4/type", "unknown_field_type"),
        ("/forms/0/fields/6/default", "not_option"),
        ("/forms/0/fields/9/unique", "unique_not_supported"),
        ("/forms/0/title_field", "unknown_title_field"),
        ("/forms/1/fields/1/target", "unknown_target"),
        ("/forms/1/fields/2/fields/2/key", "duplicate_key"),
        ("/forms/2/key", "duplicate_key"),
        ("/menus/1/children/0/form", "unknown_form"),
        ("/rules/0/form", "required"),
        ("/rules/0/name", "required"),
    ]


def test_paths_sort_numerically():
    doc = full_app()
    for i in (2, 10):
        doc["forms"][0]["fields"][i]["colour"] = "red"
    assert problems(doc) == [("/forms/0/fields/2/colour", "unknown_key"), ("/forms/0/fields/10/colour", "unknown_key")]


@pytest.mark.parametrize("doc", [None, [], "app", 5])
def test_document_must_be_an_object(doc):
    assert problems(doc) == [("", "not_object")]


# (mutation, path, English message, Chinese message)
MESSAGES = {
    "unknown key": (_set("forms/0/colour", "red"), "/forms/0/colour",
                    "unknown key 'colour'", "未知的键「colour」"),
    "bad key": (_set("forms/0/key", "Customer"), "/forms/0/key",
                "keys are lower-case a-z, 0-9 and _, starting with a letter, at most 40 long",
                "键必须是小写字母开头的 a-z、0-9、_，最长 40 个字符"),
    "duplicate": (_set("forms/0/fields/2/key", "phone"), "/forms/0/fields/2/key",
                  "key 'phone' is used twice (also at /forms/0/fields/1)", "键「phone」重复（已在 /forms/0/fields/1 使用）"),
    "reserved": (_set("forms/0/fields/2/key", "owner"), "/forms/0/fields/2/key",
                 "'owner' is a system field name and cannot be used", "「owner」是系统字段名，不能使用"),
    "target": (_set("forms/1/fields/1/target", "client"), "/forms/1/fields/1/target",
               "relation target form 'client' does not exist", "关联的表单「client」不存在"),
    "title": (_set("forms/0/title_field", "tags"), "/forms/0/title_field",
              "title_field cannot be of type 'tags'", "标题字段不能是「tags」类型"),
    "unique": (_set("forms/0/fields/9/unique", True), "/forms/0/fields/9/unique",
               "a 'tags' field cannot be unique", "「tags」类型字段不能设为唯一"),
    "default": (_set("forms/0/fields/6/default", "bronze"), "/forms/0/fields/6/default",
                "'bronze' is not an option (options: gold, silver)", "「bronze」不是可选项（可选：gold, silver）"),
    "format": (_set("format", "v2"), "/format", "format must be 'nocode.app/v1'", "format 必须是 nocode.app/v1"),
    "linkage": (_set("forms/0/linkage", [{"when": "TRUE", "show": ["ghost"]}]), "/forms/0/linkage/0/show/0",
                "form 'customer' has no field 'ghost'", "表单「customer」没有字段「ghost」"),
}


@pytest.mark.parametrize("mutate, path, en, zh", list(MESSAGES.values()), ids=list(MESSAGES))
def test_messages_in_both_languages(mutate, path, en, zh):
    doc = full_app()
    mutate(doc)
    problem = problem_at(doc, path)
    assert problem.message("en") == en
    assert problem.message("en-US") == en
    assert problem.message("zh-CN") == zh
    assert problem.message() == zh  # Chinese by default


def test_unknown_field_type_lists_the_known_types():
    doc = full_app()
    doc["forms"][0]["fields"][3]["type"] = "rainbow"
    problem = problem_at(doc, "/forms/0/fields/3/type")
    assert problem.params["value"] == "rainbow"
    assert problem.params["known"].split(", ") == FIELD_TYPES.keys()
    assert problem.message("en").startswith("unknown field type 'rainbow' (known: text, long_text, number")
    assert problem.message("zh-CN").startswith("未知的字段类型「rainbow」（可用：text, long_text")


def test_the_input_is_not_changed():
    doc = full_app()
    validate_app(doc)
    assert doc == full_app()  # e.g. option shorthand is expanded in the model, not in the input
    doc["forms"][0]["fields"][0]["colour"] = "red"
    broken = copy.deepcopy(doc)
    with pytest.raises(ProblemsError):
        validate_app(doc)
    assert doc == broken


def test_a_count_rollup_is_a_number_in_formulas():
    """A count needs no field to read, yet formulas may still do arithmetic with it (average order value)."""
    doc = full_app()
    customer = doc["forms"][0]["fields"]
    customer += [{"key": "orders", "type": "rollup", "source": "order", "via": "customer", "agg": "count"},
                 {"key": "spent", "type": "rollup", "source": "order", "via": "customer", "agg": "sum",
                  "field": "amount"},
                 {"key": "aov", "type": "formula", "expr": "IF(orders > 0, spent / orders, NULL)", "result": "money"}]
    assert validate_app(doc).form("customer").field("aov").expr == "IF(orders > 0, spent / orders, NULL)"
