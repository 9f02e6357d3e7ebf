"""Views checked against their form: every field a setting names exists and is of a fitting type, the filter is a
condition, colour rules are conditions the browser can decide from the record on screen. Problems by JSON pointer."""
from __future__ import annotations

from typing import Any, Mapping

from engines.expr import FUNCTIONS, ExprError, Scope, compile_expression, parse
from engines.expr.ast import Call, walk
from engines.form.fields.base import SYSTEM_FIELDS
from engines.problems import Problem, pointer
from engines.views.definition import ViewBase

SCALAR = {"text", "number", "date", "datetime", "bool", "ref"}
# What a setting needs of its field: a test on (field definition or None for system fields, expression kind, form key).
WANTS = {
    "value": (lambda f, kind, form: kind not in (None, "rows"), ("有值的字段", "a field holding a value")),
    "groupable": (lambda f, kind, form: kind in SCALAR, ("可分组的单值字段", "a single-value field to group by")),
    "sortable": (lambda f, kind, form: kind in SCALAR, ("可排序的单值字段", "a single-value field to sort by")),
    "choice": (lambda f, kind, form: f is not None and f.type == "select", ("单选字段", "a single-choice (select) field")),
    "date": (lambda f, kind, form: kind in ("date", "datetime"), ("日期或日期时间字段", "a date or date-time field")),
    "image": (lambda f, kind, form: f is not None and f.type == "image", ("图片字段", "an image field")),
    "parent": (lambda f, kind, form: f is not None and f.type == "relation" and f.target == form and not f.many,
               ("指向本表单的单条关联字段", "a one-record relation to this same form")),
}


def view_problems(views: list[ViewBase], forms: Mapping[str, Any], types) -> list[Problem]:
    """The app's views: unique keys, known forms, and each view's own checks."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, view in enumerate(views):
        here = pointer("views", i)
        if view.key in seen:
            problems.append(Problem(here + "/key", "duplicate_key", {"key": view.key, "other": seen[view.key]}))
        seen.setdefault(view.key, here)
        problems += [p.under(here) for p in ViewCheck(view, forms, types).problems()]
    return problems


class ViewCheck:
    """One view; problem paths relative to it (/group_by, /colors/0/when…)."""

    def __init__(self, view: ViewBase, forms: Mapping[str, Any], types):
        self.view, self.forms, self.types = view, forms, types
        self.found: list[Problem] = []

    def problems(self) -> list[Problem]:
        view = self.view
        form = self.forms.get(view.form)
        if form is None:
            return [Problem("/form", "unknown_form", {"key": view.form})]
        self.fields = {f.key: f for f in form.fields}
        self.scope = Scope(self.forms, view.form)
        if view.filter and view.filter.strip():
            self.condition(view.filter, "/filter")
        for j, s in enumerate(view.sort):
            self.field_of(s.field, f"/sort/{j}/field", "sortable")
        for j, rule in enumerate(view.colors):
            self.color(rule, f"/colors/{j}")
        self.found += self.types.get(view.type).problems(view, self)
        return self.found

    # ---- what the view types call -----------------------------------------------------------------------------
    def value_field(self, key: str, where: str) -> str | None:
        return self.field_of(key, where, "value")

    def field_of(self, key: str, where: str, want: str) -> str | None:
        """The field's expression kind when it exists and is what `want` asks; else a problem, None."""
        if key not in self.fields and key not in SYSTEM_FIELDS:
            self.found.append(Problem(where, "unknown_field", {"form": self.view.form, "key": key}))
            return None
        kind = self.kind(key)
        test, (zh, en) = WANTS[want]
        if not test(self.fields.get(key), kind, self.view.form):
            self.found.append(Problem(where, "view_field_kind", {"key": key, "want": en, "want_zh": zh}))
            return None
        return kind

    def columns(self, keys: list[str], where: str) -> None:
        seen: dict[str, str] = {}
        for j, key in enumerate(keys):
            if key in seen:
                self.found.append(Problem(f"{where}/{j}", "duplicate_key", {"key": key, "other": seen[key]}))
            seen.setdefault(key, f"{where}/{j}")
            self.value_field(key, f"{where}/{j}")

    # ---- the view's own parts -----------------------------------------------------------------------------------
    def kind(self, key: str) -> str | None:
        try:
            return compile_expression(key, self.scope).type.kind
        except ExprError:
            return None  # layout items and the like hold no value

    def condition(self, text: str, where: str):
        try:
            return compile_expression(text, self.scope, expect="bool")
        except ExprError as e:
            self.found.append(e.problem(where))
            return None

    def color(self, rule, here: str) -> None:
        compiled = self.condition(rule.when, here + "/when")
        if compiled is not None:
            # the browser colours the records on screen: it has their own values and browser functions only
            if any(len(p) > 1 for p in compiled.paths):
                self.found.append(Problem(here + "/when", "view_color_scope"))
            server = [n.name for n in walk(parse(rule.when)) if isinstance(n, Call) and n.name in FUNCTIONS
                      and not FUNCTIONS.get(n.name).browser]
            if server:
                self.found.append(Problem(here + "/when", "view_color_server_only", {"name": server[0]}))
        if rule.field:
            self.value_field(rule.field, here + "/field")
