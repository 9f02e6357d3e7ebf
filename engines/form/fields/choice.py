"""Single and multiple choice from a list of options, and yes/no checkboxes."""
from __future__ import annotations

from pydantic import Field, field_validator

from engines.form.fields.base import FieldBase, FieldError, FieldType, Option
from engines.problems import Problem


def _options_schema(schema: dict) -> None:
    # The published JSON Schema must accept the plain-string shorthand that `shorthand` below accepts.
    schema["items"] = {"anyOf": [schema["items"], {"type": "string", "minLength": 1, "maxLength": 200}]}


class SelectDef(FieldBase):
    options: list[Option] = Field(min_length=1, max_length=1000, json_schema_extra=_options_schema)

    @field_validator("options", mode="before")
    @classmethod
    def shorthand(cls, options):
        # plain strings are shorthand for {"value": s, "label": s}
        if isinstance(options, list):
            return [{"value": o, "label": o} if isinstance(o, str) else o for o in options]
        return options


class MultiSelectDef(SelectDef):
    min_items: int | None = Field(default=None, ge=0)
    max_items: int | None = Field(default=None, ge=1)


def pick(f, value) -> str:
    """An option by value, or by label (people import labels from spreadsheets)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldError("not_text")
    text = str(value).strip()
    for option in f.options:
        if text == option.value:
            return option.value
    for option in f.options:
        if text == option.label:
            return option.value
    raise FieldError("not_option", value=text, options=", ".join(o.value for o in f.options[:20]))


def check_options(f) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, option in enumerate(f.options):
        if option.value in seen:
            problems.append(Problem(f"/options/{i}/value", "duplicate_key",
                                    {"key": option.value, "other": f"/options/{seen[option.value]}"}))
        seen.setdefault(option.value, i)
    return problems


def split_list(value) -> list:
    if isinstance(value, str):  # "a, b，c" from a spreadsheet cell
        return [part.strip() for part in value.replace("，", ",").replace("、", ",").split(",") if part.strip()]
    if not isinstance(value, list):
        raise FieldError("not_list")
    return value


class Select(FieldType):
    key = "select"
    icon = "DownSquareOutlined"
    label = ("下拉单选", "Select")
    storage = "text"
    props = SelectDef
    widget = "select"

    def coerce(self, f, value, ctx):
        return pick(f, value)

    def check_def(self, f):
        return check_options(f)

    def json_schema(self, f):
        return {**super().json_schema(f), "enum": [o.value for o in f.options]}


class MultiSelect(FieldType):
    expr_kind = "list"
    key = "multi_select"
    icon = "UnorderedListOutlined"
    label = ("多选", "Multiple select")
    storage = "json"
    props = MultiSelectDef
    widget = "multi_select"
    unique_ok = False

    def coerce(self, f, value, ctx):
        chosen = list(dict.fromkeys(pick(f, item) for item in split_list(value)))
        if f.min_items is not None and len(chosen) < f.min_items:
            raise FieldError("too_few_items", limit=f.min_items)
        if f.max_items is not None and len(chosen) > f.max_items:
            raise FieldError("too_many_items", limit=f.max_items)
        return chosen or None

    def check_empty(self, f):
        if f.min_items:
            raise FieldError("too_few_items", limit=f.min_items)

    def check_def(self, f):
        return check_options(f)

    def json_schema(self, f):
        return {**super().json_schema(f), "type": "array", "items": {"enum": [o.value for o in f.options]},
                "uniqueItems": True}


_TRUE = {"true", "1", "yes", "y", "是", "对", "√", "on"}
_FALSE = {"false", "0", "no", "n", "否", "不", "×", "off"}


class CheckboxDef(FieldBase):
    pass


class Checkbox(FieldType):
    expr_kind = "bool"
    key = "checkbox"
    icon = "CheckSquareOutlined"
    label = ("复选框", "Checkbox")
    storage = "boolean"
    props = CheckboxDef
    widget = "checkbox"
    unique_ok = False

    def coerce(self, f, value, ctx):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise FieldError("not_bool", value=value)

    def dump(self, f, stored, ctx):
        return None if stored is None else bool(stored)
