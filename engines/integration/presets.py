"""Connector presets (templates/connectors/*.json): ready connectors plus the fields it maps into, loaded into an
app document — fields the app lacks are added to its forms, a field of the same key must have the same type."""
from __future__ import annotations

import copy

from engines.problems import MESSAGES, Problem, ProblemsError, pointer

MESSAGES.update({
    "preset_form": ("模板需要表单「{form}」", "the preset needs form {form!r}"),
    "preset_field_type": ("表单「{form}」的字段「{key}」应为「{type}」类型", "field {key!r} of form {form!r} must be of "
                          "type {type!r}"),
})


def apply_preset(app: dict, preset: dict) -> dict:
    """A copy of the app document with the preset's connectors (replacing those of the same keys) and fields."""
    doc = copy.deepcopy(app)
    forms = {form["key"]: form for form in doc.get("forms", [])}
    problems = []
    for form_key, fields in preset.get("fields", {}).items():
        form = forms.get(form_key)
        if form is None:
            problems.append(Problem(pointer("fields", form_key), "preset_form", {"form": form_key}))
            continue
        have = {f["key"]: f for f in form["fields"]}
        for field in fields:
            if field["key"] not in have:
                form["fields"].append(copy.deepcopy(field))
            elif have[field["key"]]["type"] != field["type"]:
                problems.append(Problem(pointer("fields", form_key, field["key"]), "preset_field_type",
                                        {"form": form_key, "key": field["key"], "type": field["type"]}))
    if problems:
        raise ProblemsError(problems)
    keys = {c["key"] for c in preset["connectors"]}
    doc["connectors"] = [c for c in doc.get("connectors", []) if c.get("key") not in keys] + copy.deepcopy(
        preset["connectors"])
    return doc
