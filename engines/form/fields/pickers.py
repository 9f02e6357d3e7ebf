"""Choices drawn as controls: radio buttons, an on/off switch, and a cascade over an option tree (省 > 市)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.choice import Checkbox, SelectDef, check_options, pick
from engines.problems import Problem


class RadioDef(SelectDef):
    layout: Literal["horizontal", "vertical", "button"] = Field(
        default="horizontal", description="buttons in a row, a column, or as a segmented button bar")


class Radio(FieldType):
    key = "radio"
    icon = "CheckCircleOutlined"
    label = ("单选按钮", "Radio")
    storage = "text"
    props = RadioDef
    widget = "radio"

    def coerce(self, f, value, ctx):
        return pick(f, value)

    def to_cell(self, f, dumped):
        option = next((o for o in f.options if o.value == dumped), None)
        return option.label or option.value if option else dumped

    def check_def(self, f):
        return check_options(f)

    def json_schema(self, f):
        return {**super().json_schema(f), "enum": [o.value for o in f.options]}


class SwitchDef(FieldBase):
    on_label: str | None = Field(default=None, max_length=20, description="shown when on, e.g. 启用")
    off_label: str | None = Field(default=None, max_length=20, description="shown when off, e.g. 停用")


class Switch(Checkbox):
    key = "switch"
    icon = "PoweroffOutlined"
    label = ("开关", "Switch")
    props = SwitchDef
    widget = "switch"

    def coerce(self, f, value, ctx):
        if isinstance(value, str):  # the labels are what an export wrote, so an import reads them back
            if f.on_label and value.strip() == f.on_label:
                return True
            if f.off_label and value.strip() == f.off_label:
                return False
        return super().coerce(f, value, ctx)

    def to_cell(self, f, dumped):
        if dumped is None:
            return None
        label = f.on_label if dumped else f.off_label
        return label or dumped  # without labels the export writes 是/否

    def check_def(self, f):
        if f.on_label and f.on_label == f.off_label:
            return [Problem("/off_label", "same_switch_labels", {"label": f.on_label})]
        return []


MAX_CASCADE_DEPTH = 6
MAX_CASCADE_NODES = 10_000


class CascadeOption(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=200)
    label: str | None = Field(default=None, max_length=200)
    children: list["CascadeOption"] | None = Field(default=None, max_length=1000)


class CascadeDef(FieldBase):
    options: list[CascadeOption] = Field(min_length=1, max_length=1000)
    any_level: bool = Field(default=False, description="a path may stop above the leaves")


def _split_path(value) -> list:
    if isinstance(value, str):  # "华南/广东/深圳" from a spreadsheet cell
        return [part.strip() for part in value.replace(" / ", "/").replace(">", "/").split("/") if part.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list):
        raise FieldError("bad_cascade")
    return value


def _find(options: list[CascadeOption], wanted: str) -> CascadeOption | None:
    return (next((o for o in options if o.value == wanted), None)
            or next((o for o in options if o.label == wanted), None))


def _paths_to(options: list[CascadeOption], wanted: str, above: tuple = ()) -> list[tuple]:
    """Every path to a node whose value or label is `wanted` (an import may name just the leaf)."""
    found = []
    for option in options:
        path = above + (option,)
        if wanted in (option.value, option.label):
            found.append(path)
        found += _paths_to(option.children or [], wanted, path)
    return found


class Cascade(FieldType):
    expr_kind = "list"
    key = "cascade"
    icon = "ClusterOutlined"
    label = ("级联选择", "Cascade")
    storage = "json"
    props = CascadeDef
    widget = "cascade"
    unique_ok = False

    def coerce(self, f, value, ctx):
        parts = _split_path(value)
        for part in parts:
            if isinstance(part, bool) or not isinstance(part, (str, int, float)):
                raise FieldError("not_text")
        parts = [str(part).strip() for part in parts]
        path = self._walk(f, parts)
        if not path:
            return None
        if path[-1].children and not f.any_level:
            raise FieldError("cascade_not_leaf", value=path[-1].label or path[-1].value)
        return [option.value for option in path]

    def _walk(self, f, parts: list[str]) -> list[CascadeOption]:
        if len(parts) == 1 and _find(f.options, parts[0]) is None:
            paths = _paths_to(f.options, parts[0])
            if len(paths) == 1:
                return list(paths[0])
        level, path = f.options, []
        for part in parts:
            option = _find(level or [], part)
            if option is None:
                raise FieldError("not_option", value=part, options=", ".join(o.value for o in (level or [])[:20]))
            path.append(option)
            level = option.children
        return path

    def to_cell(self, f, dumped):
        if not dumped:
            return None
        level, labels = f.options, []
        for value in dumped:
            option = _find(level or [], value)
            if option is None:  # the tree changed since the value was stored: show what is stored
                return "/".join(dumped)
            labels.append(option.label or option.value)
            level = option.children
        return "/".join(labels)

    def check_def(self, f):
        problems: list[Problem] = []
        count = 0

        def visit(options: list[CascadeOption], path: str, depth: int) -> None:
            nonlocal count
            count += len(options)
            if depth > MAX_CASCADE_DEPTH:
                problems.append(Problem(path, "cascade_too_deep", {"limit": MAX_CASCADE_DEPTH}))
                return
            seen: dict[str, int] = {}
            for i, option in enumerate(options):
                if option.value in seen:
                    problems.append(Problem(f"{path}/{i}/value", "duplicate_key",
                                            {"key": option.value, "other": f"{path}/{seen[option.value]}"}))
                seen.setdefault(option.value, i)
                if option.children:
                    visit(option.children, f"{path}/{i}/children", depth + 1)

        visit(f.options, "/options", 1)
        if count > MAX_CASCADE_NODES:
            problems.append(Problem("/options", "too_many_items", {"limit": MAX_CASCADE_NODES}))
        return problems
