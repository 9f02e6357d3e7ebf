"""View definitions checked at publish: each view type's settings against the form's fields, filters and colour
rules as conditions, problems by JSON pointer; and saved views parsed the same way."""
from __future__ import annotations

import copy

import pytest

from builder.validate import validate_app
from engines.problems import ProblemsError
from engines.views import VIEW_TYPES, parse_view

TASK = {"key": "task", "name": "任务", "title_field": "title", "fields": [
    {"key": "title", "type": "text", "required": True},
    {"key": "status", "type": "select", "options": ["todo", "doing", "done"]},
    {"key": "start", "type": "date"}, {"key": "due", "type": "datetime"},
    {"key": "parent", "type": "relation", "target": "task"},
    {"key": "owner_name", "type": "text"},
    {"key": "labels", "type": "tags"},
    {"key": "photo", "type": "image"},
    {"key": "hours", "type": "number"},
    {"key": "customer", "type": "relation", "target": "customer"},
]}
CUSTOMER = {"key": "customer", "name": "客户", "fields": [{"key": "name", "type": "text"}]}

# One good view of each type.
GOOD = {
    "table": {"key": "t", "form": "task", "name": "表", "type": "table", "columns": ["title", "status", "hours"],
              "group_by": "status", "sort": [{"field": "due", "desc": True}], "filter": "hours > 0",
              "colors": [{"when": "hours > 8", "color": "#ff4d4f"}, {"when": "status = 'done'", "color": "green",
                                                                  "field": "status"}]},
    "kanban": {"key": "k", "form": "task", "name": "看板", "type": "kanban", "group_by": "status",
               "card_fields": ["owner_name", "due"]},
    "calendar": {"key": "c", "form": "task", "name": "日历", "type": "calendar", "date": "start", "end": "due",
                 "title": "title"},
    "gallery": {"key": "g", "form": "task", "name": "画廊", "type": "gallery", "cover": "photo",
                "fields": ["status"]},
    "gantt": {"key": "n", "form": "task", "name": "甘特", "type": "gantt", "start": "start", "end": "due",
              "label": "title", "group": "owner_name"},
    "tree": {"key": "r", "form": "task", "name": "树", "type": "tree", "parent": "parent", "columns": ["title"]},
}


def app(*views):
    return {"format": "nocode.app/v1", "key": "work", "name": "工作", "forms": [copy.deepcopy(TASK), CUSTOMER],
            "views": [copy.deepcopy(v) for v in views]}


def problems(doc) -> list[tuple[str, str]]:
    with pytest.raises(ProblemsError) as e:
        validate_app(doc)
    return [(p.path, p.code) for p in e.value.problems]


def test_every_registered_type_has_a_good_example():
    assert sorted(GOOD) == sorted(VIEW_TYPES.keys())


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_good_view_of_each_type_publishes_and_round_trips(kind):
    parsed = validate_app(app(GOOD[kind]))
    assert parsed.views[0].type == kind
    dumped = parsed.dump()["views"][0]
    assert dumped == GOOD[kind] | ({"sort": [{"field": "due", "desc": True}]} if kind == "table" else {})
    assert validate_app(parsed.dump()) == parsed


# (type, change, expected problems at /views/0…)
BAD = [
    ("kanban", {"group_by": "owner_name"}, [("/group_by", "view_field_kind")]),
    ("kanban", {"group_by": "nope"}, [("/group_by", "unknown_field")]),
    ("kanban", {"card_fields": ["title", "title"]}, [("/card_fields/1", "duplicate_key")]),
    ("calendar", {"date": "title"}, [("/date", "view_field_kind")]),
    ("calendar", {"end": "hours"}, [("/end", "view_field_kind")]),
    ("gallery", {"cover": "title"}, [("/cover", "view_field_kind")]),
    ("gantt", {"end": "start"}, [("/end", "view_same_field")]),
    ("gantt", {"group": "labels"}, [("/group", "view_field_kind")]),
    ("tree", {"parent": "customer"}, [("/parent", "view_field_kind")]),
    ("tree", {"parent": "title"}, [("/parent", "view_field_kind")]),
    ("table", {"group_by": "labels"}, [("/group_by", "view_field_kind")]),
    ("table", {"columns": ["title", "ghost"]}, [("/columns/1", "unknown_field")]),
    ("table", {"sort": [{"field": "labels"}]}, [("/sort/0/field", "view_field_kind")]),
    ("table", {"filter": "hours +"}, [("/filter", "expr_syntax")]),
    ("table", {"filter": "hours"}, [("/filter", "expr_not_condition")]),
    ("table", {"colors": [{"when": "customer.name = 'x'", "color": "red"}]}, [("/colors/0/when", "view_color_scope")]),
    ("table", {"colors": [{"when": "hours > 1", "color": "red", "field": "ghost"}]},
     [("/colors/0/field", "unknown_field")]),
    ("table", {"colors": [{"when": "hours > 1", "color": "#12"}]}, [("/colors/0/color", "schema")]),
    ("table", {"form": "ghost"}, [("/form", "unknown_form")]),
    ("kanban", {"start": "start"}, [("/start", "unknown_key")]),
]


@pytest.mark.parametrize("kind,change,expected", BAD)
def test_bad_settings_are_named_by_pointer(kind, change, expected):
    assert problems(app(GOOD[kind] | change)) == [("/views/0" + path, code) for path, code in expected]


def test_an_unknown_type_and_a_missing_setting():
    assert problems(app({"key": "x", "form": "task", "name": "X", "type": "pie"})) == [("/views/0/type",
                                                                                      "unknown_view_type")]
    assert problems(app({"key": "x", "form": "task", "name": "X", "type": "kanban"})) == [("/views/0/group_by",
                                                                                         "required")]


def test_view_keys_are_unique():
    assert ("/views/1/key", "duplicate_key") in problems(app(GOOD["kanban"], GOOD["kanban"]))


def test_colour_rules_use_browser_functions_only():
    found = validate_app(app(GOOD["table"] | {"colors": [{"when": "TODAY() > start", "color": "red"},
                                                     {"when": "DAYS_SINCE(start) > 3", "color": "red"}]}))
    assert found.views[0].colors  # TODAY and DAYS_SINCE run in the browser too
    doc = app(GOOD["table"] | {"colors": [{"when": "DECIDE('size', hours).big", "color": "red"}]})
    doc["decision_tables"] = [{"key": "size", "inputs": ["hours"], "outputs": ["big"],
                               "rows": [{"when": ["> 8"], "then": [True]}, {"when": ["-"], "then": [False]}]}]
    assert problems(doc) == [("/views/0/colors/0/when", "view_color_server_only")]


def test_messages_read_in_both_languages():
    with pytest.raises(ProblemsError) as e:
        validate_app(app(GOOD["kanban"] | {"group_by": "owner_name"}))
    problem = e.value.problems[0]
    assert problem.message("zh-CN") == "「owner_name」应为单选字段"
    assert problem.message("en") == "'owner_name' must be a single-choice (select) field"


def test_a_saved_view_parses_alone_with_pointers_into_it():
    forms = {f.key: f for f in validate_app(app()).forms}
    assert parse_view(GOOD["gantt"], forms).type == "gantt"
    with pytest.raises(ProblemsError) as e:
        parse_view(GOOD["calendar"] | {"date": "title", "colour": 1}, forms)
    assert [(p.path, p.code) for p in e.value.problems] == [("/colour", "unknown_key")]
    with pytest.raises(ProblemsError) as e:
        parse_view(GOOD["calendar"] | {"date": "title"}, forms)
    assert [(p.path, p.code) for p in e.value.problems] == [("/date", "view_field_kind")]


def test_the_frontend_draws_every_registered_view_type():
    """frontend/src/runtime/views/registry.ts lists the same view type keys, in the same order."""
    import re
    from pathlib import Path

    source = (Path(__file__).parents[3] / "frontend/src/runtime/views/registry.ts").read_text(encoding="utf-8")
    block = source.split("export const VIEW_TYPES", 1)[1].split("];", 1)[0]
    assert re.findall(r"\{ key: '([a-z_]+)'", block) == VIEW_TYPES.keys()
