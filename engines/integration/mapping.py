"""Field mapping for connectors: a value spec is a JSON path (`$.data.items[0].qty`) into a document, or an
expression of the app's one expression language over a scope (a record, flow variables, `response`, `payload`).

The scope of an expression is whatever JSON-like data the caller has, so its types are read off the values:
a nested object reads like a linked record (`response.data.stock`), a list of objects like a sub-table
(`SUM(payload.lines.qty)`), an empty value like anything. Pure: the runtime gives the clock (EvalContext).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engines.expr import EvalContext, ExprError, Scope, compile_expression, parse

MAX_DEPTH = 6  # nesting of objects an expression may read through
MAX_MISSING = 20  # names an expression may read that a document leaves out (they read as empty)
_STEP = re.compile(r"\.([A-Za-z_$@][\w$@-]*)|\[(-?\d+)\]|\[['\"]([^'\"]+)['\"]\]")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class MappingError(ValueError):
    """A spec that cannot be read or evaluated; `problem` is (code, params) for engines.problems."""

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


# ---- JSON paths ----------------------------------------------------------------------------------------------
def is_path(spec: str) -> bool:
    return spec.startswith("$")


def parse_path(spec: str) -> list[str | int]:
    """`$`, `$.a.b`, `$.items[0].qty`, `$['odd key']` → steps; MappingError for anything else."""
    if not spec.startswith("$"):
        raise MappingError("mapping_bad_path", path=spec)
    steps: list[str | int] = []
    position = 1
    while position < len(spec):
        match = _STEP.match(spec, position)
        if match is None:
            raise MappingError("mapping_bad_path", path=spec)
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    return steps


def read_path(doc: Any, spec: str) -> Any:
    """The value at the path, or None where the document has nothing there."""
    value = doc
    for step in parse_path(spec):
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and -len(value) <= step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


# ---- scopes read off the data ------------------------------------------------------------------------------------
@dataclass
class _Field:
    """What engines.expr.Scope reads of a field definition."""
    key: str
    type: str
    target: str | None = None
    many: bool = False
    fields: list = field(default_factory=list)
    _source: Any = None  # as a lookup without a source: the checker takes the value as anything
    result: str | None = None


@dataclass
class _Form:
    key: str
    fields: list


class _Shapes:
    def __init__(self):
        self.forms: dict[str, _Form] = {}

    def form(self, values: dict, depth: int) -> str:
        key = f"$json{len(self.forms)}"
        self.forms[key] = _Form(key, [])
        self.forms[key].fields = [self.field(k, v, depth) for k, v in values.items() if isinstance(k, str)]
        return key

    def field(self, key: str, value: Any, depth: int) -> _Field:
        if isinstance(value, bool):
            return _Field(key, "checkbox")
        if isinstance(value, (int, float, Decimal)):
            return _Field(key, "number")
        if isinstance(value, str):
            return _Field(key, "text")
        if isinstance(value, datetime):
            return _Field(key, "datetime")
        if isinstance(value, date):
            return _Field(key, "date")
        if isinstance(value, dict) and depth < MAX_DEPTH:
            return _Field(key, "relation", target=self.form(value, depth + 1))
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and depth < MAX_DEPTH:
            merged: dict = {}
            for row in value:
                for k, v in row.items():
                    if merged.get(k) is None:
                        merged[k] = v
            rows = [self.field(k, v, MAX_DEPTH) for k, v in merged.items() if isinstance(k, str)]
            return _Field(key, "subtable", fields=rows)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return _Field(key, "tags")
        return _Field(key, "lookup")  # empty, or a shape expressions cannot read: anything


def scope_of(values: dict) -> Scope:
    shapes = _Shapes()
    root = shapes.form(values, 0)
    return Scope(shapes.forms, root, decisions={})


# ---- evaluating specs -----------------------------------------------------------------------------------------------
def check_spec(spec: str, scope: Scope | None = None) -> None:
    """Parse (and, given a scope, type-check) a spec at publish; MappingError or ExprError."""
    if is_path(spec):
        parse_path(spec)
    elif scope is not None:
        compile_expression(spec, scope)
    else:
        parse(spec)


def check_template(template: str, scope: Scope | None = None) -> None:
    for match in _PLACEHOLDER.finditer(template):
        check_spec(match.group(1).strip(), scope)


class Evaluator:
    """Specs over one scope of values: paths read the `document`, expressions see `values`."""

    def __init__(self, values: dict, ctx: EvalContext, document: Any = None):
        self.values, self.ctx, self.document = values, ctx, document
        self._scope: Scope | None = None

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = scope_of(self.values)
        return self._scope

    def value(self, spec: str) -> Any:
        if is_path(spec):
            return read_path(self.document if self.document is not None else self.values, spec)
        for _ in range(MAX_MISSING):
            try:
                return compile_expression(spec, self.scope).evaluate(self.values, self.ctx)
            except ExprError as e:
                form = self.scope.forms.get(e.params.get("form", ""))
                if e.code != "expr_unknown_field" or not isinstance(form, _Form):
                    raise MappingError("mapping_expression", spec=spec, error=str(e), position=e.position) from e
                form.fields.append(_Field(e.params["name"], "lookup"))  # absent from this document: empty
        raise MappingError("mapping_expression", spec=spec, error="too many names missing", position=0)

    def build(self, mapping: dict) -> dict:
        """A JSON object from a mapping: `{"a.b": spec}` nests; `{"lines": {"each": spec, "map": {...}}}` maps each
        item of a list (sub-table rows, a list in the document) with the item's own values in front."""
        out: dict = {}
        for target, spec in mapping.items():
            if not isinstance(spec, str):  # EachDef, or its JSON
                each, inner = (spec["each"], spec["map"]) if isinstance(spec, dict) else (spec.each, spec.map)
                value = [Evaluator({**self.values, **item} if isinstance(item, dict) else self.values, self.ctx,
                                   item).build(inner) for item in self._items(each)]
            else:
                value = self.value(spec)
            _put(out, target, value)
        return out

    def _items(self, spec: str) -> list:
        if is_path(spec):
            found = read_path(self.document if self.document is not None else self.values, spec)
        else:
            found = self.values
            for part in spec.split("."):
                found = found.get(part) if isinstance(found, dict) else None
        return found if isinstance(found, list) else []

    def render(self, template: str) -> str:
        """`/orders/{no}`: each `{spec}` replaced by its value as text."""
        def one(match: re.Match) -> str:
            value = self.value(match.group(1).strip())
            return "" if value is None else text(value)
        return _PLACEHOLDER.sub(one, template)


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _put(out: dict, target: str, value: Any) -> None:
    parts = target.split(".")
    for part in parts[:-1]:
        out = out.setdefault(part, {})
    out[parts[-1]] = value


def items_of(document: Any, spec: str | None) -> list:
    """The items a write or an event mapping runs over: the list at `spec`, or the document itself as one item."""
    if spec is None:
        return document if isinstance(document, list) else [document]
    found = read_path(document, spec)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]
