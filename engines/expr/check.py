"""Type checking against the app's forms, at save/publish time: every name resolved, every type known."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from engines.expr.ast import Binary, Call, In, Literal, Member, Name, Node, Unary
from engines.expr.errors import ExprError
from engines.expr.types import BOOL, DATETIME, NULL, NUMBER, TEXT, T, comparable, rows, scalar, type_args

MAX_PATH = 4
MAX_NODES = 1000
SYSTEM_TYPES = {"id": NUMBER, "version": NUMBER, "created_at": DATETIME, "updated_at": DATETIME,
                "created_by": T("ref", source="user"), "updated_by": T("ref", source="user"),
                "owner": T("ref", source="user")}
ARITHMETIC = {"+", "-", "*", "/"}
COMPARISON = {"=", "!=", "<", "<=", ">", ">="}


@dataclass(frozen=True)
class Step:
    """One step of a name: a field of a form (`form` is "order", or "order.lines" inside a sub-table)."""
    kind: str  # value, system, relation (one), subtable, many
    form: str
    field: str
    target: str | None = None  # relation target form / sub-table form key


class Scope:
    """The forms an expression can see. `forms` maps a form key to its definition (anything with .fields)."""

    def __init__(self, forms: Mapping[str, Any], form: str, functions=None, formula_types: Mapping | None = None,
                 decisions: Mapping[str, Any] | None = None):
        from engines.expr.functions import FUNCTIONS

        self.forms = dict(forms)
        self.form = form
        self.functions = functions or FUNCTIONS
        self.formula_types = formula_types or {}  # (form, field) → T for formula fields already typed
        # the app's decision tables by key (DECIDE): given, or the ones the app's forms carry (builder.model.AppDef
        # hands them to its forms, so every scope built from an app's forms knows them)
        self.decisions = decisions if decisions is not None else next(
            (f._decisions for f in self.forms.values() if getattr(f, "_decisions", None) is not None), {})
        self._add_subtables()

    def _add_subtables(self) -> None:
        for key, form in list(self.forms.items()):
            for f in form.fields:
                if f.type == "subtable":
                    self.forms[f"{key}.{f.key}"] = f

    def field(self, form: str, key: str):
        return next((f for f in self.forms[form].fields if f.key == key), None)

    def field_type(self, form: str, f) -> T:
        from engines.form.fields import field_type

        if f.type == "formula":
            from engines.form.fields.formula import RESULTS

            if getattr(f, "result", None):
                return T(RESULTS[f.result][1])
            return self.formula_types.get((form, f.key), T("any"))
        if f.type == "rollup" and f.agg == "count":  # counts records: a number whatever it reads
            return NUMBER
        if f.type in ("lookup", "rollup"):  # the type of the field read at the end (resolved with the app)
            source = f._source
            if source is None:
                return T("any")
            if f.type == "lookup" or f.agg in ("min", "max"):
                return self.field_type(f._source_form, source)
            return NUMBER
        kind = field_type(f.type).expr_kind_for(f)
        if kind == "ref":
            return T("ref", source=f.target)
        return T(kind)


class Checker:
    def __init__(self, scope: Scope):
        self.scope = scope
        self.count = 0
        self.aggregate_depth = 0

    def check(self, node: Node) -> T:
        self.count += 1
        if self.count > MAX_NODES:
            raise ExprError("expr_too_costly", node.start)
        node.type = getattr(self, "_" + type(node).__name__.lower())(node)
        return node.type

    def _literal(self, node: Literal) -> T:
        value = node.value
        if value is None:
            return NULL
        if isinstance(value, bool):
            return BOOL
        return NUMBER if isinstance(value, float) else TEXT

    def _name(self, node: Name) -> T:
        steps, t = self.resolve(node)
        node.steps = steps
        if t.is_rows and self.aggregate_depth == 0:
            raise ExprError("expr_rows_outside_aggregate", node.start, name=".".join(node.path))
        return t

    def resolve(self, node: Name) -> tuple[list[Step], T]:
        form, steps, source = self.scope.form, [], None
        if len(node.path) > MAX_PATH:
            raise ExprError("expr_path_too_long", node.start, limit=MAX_PATH)
        position = node.start
        for i, part in enumerate(node.path):
            last = i == len(node.path) - 1
            if i == 0 and part in SYSTEM_TYPES and self.scope.field(form, part) is None and "." not in form:
                if not last:
                    raise ExprError("expr_not_relation", position, name=part)
                steps.append(Step("system", form, part))
                return steps, SYSTEM_TYPES[part]
            f = self.scope.field(form, part)
            if f is None:
                raise ExprError("expr_unknown_field", position, form=form, name=part)
            if f.type == "subtable" or (f.type == "relation" and getattr(f, "many", False)):
                if source is not None:  # rows inside rows: not expressible as one aggregate
                    raise ExprError("expr_mixed_rows", position)
                kind = "subtable" if f.type == "subtable" else "many"
                target = f"{form}.{f.key}" if kind == "subtable" else f.target
                steps.append(Step(kind, form, part, target))
                source = ".".join(node.path[: i + 1])
                if last:
                    item = T("record") if kind == "subtable" else T("ref", source=f.target)
                    return steps, rows(item, source)
                form = target
            elif f.type == "relation":
                steps.append(Step("relation", form, part, f.target))
                if last:
                    t = T("ref", source=f.target)
                    return steps, rows(t, source) if source else t
                form = f.target
            else:
                if not last:
                    raise ExprError("expr_not_relation", position, name=part)
                steps.append(Step("value", form, part))
                t = self.scope.field_type(form, f)
                return steps, rows(t, source) if source else t
            position += len(part) + 1
        raise AssertionError("unreachable")

    def _unary(self, node: Unary) -> T:
        t = self.check(node.operand)
        want = "bool" if node.op == "NOT" else "number"
        if scalar(t).kind not in (want, "null", "any"):
            raise ExprError("expr_operand_type", node.start, op=node.op, **_pair(t, t))
        return rows(T(want), t.source) if t.is_rows else T(want)

    def _binary(self, node: Binary) -> T:
        left, right = self.check(node.left), self.check(node.right)
        source = _same_source(node, left, right)
        lk, rk = scalar(left).kind, scalar(right).kind
        if node.op in ("AND", "OR"):
            if lk not in ("bool", "null") or rk not in ("bool", "null"):
                raise ExprError("expr_operand_type", node.start, op=node.op, **_pair(left, right))
            result = BOOL
        elif node.op in COMPARISON:
            if not comparable(left, right):
                raise ExprError("expr_compare_types", node.start, **_pair(left, right))
            if node.op not in ("=", "!=") and "bool" in (lk, rk) or node.op not in ("=", "!=") and "list" in (lk, rk):
                raise ExprError("expr_operand_type", node.start, op=node.op, **_pair(left, right))
            result = BOOL
        elif node.op == "&":
            if "list" in (lk, rk) or "record" in (lk, rk):
                raise ExprError("expr_operand_type", node.start, op="&", **_pair(left, right))
            result = TEXT
        else:
            result = _arithmetic(node, left, right)
        return rows(result, source) if source else result

    def _in(self, node: In) -> T:
        subject = self.check(node.subject)
        for option in node.options:
            t = self.check(option)
            if t.is_rows or not comparable(subject, t):
                raise ExprError("expr_compare_types", option.start, **_pair(subject, t))
        return rows(BOOL, subject.source) if subject.is_rows else BOOL  # rows only get here inside an aggregate

    def _call(self, node: Call) -> T:
        try:
            function = self.scope.functions.get(node.name)
        except LookupError:
            raise ExprError("expr_unknown_function", node.start, name=node.name) from None
        node.function = function
        if getattr(node, "member", None) is not None and not function.parts:
            raise ExprError("expr_no_parts", node.end, name=node.member)
        function.bind(node, self.scope)
        if function.aggregate:
            self.aggregate_depth += 1
        try:
            args = [self.check(arg) for arg in node.args]
        finally:
            if function.aggregate:
                self.aggregate_depth -= 1
        sources = {a.source for a in args if a.is_rows}
        if function.aggregate or not sources:
            return function.check(node, args)
        # inside an aggregate, a function of row values gives one value per row: SUM(ROUND(lines.qty, 2))
        if len(sources) > 1:
            raise ExprError("expr_mixed_rows", node.start)
        return rows(function.check(node, [scalar(a) for a in args]), sources.pop())

    def _member(self, node: Member) -> T:
        """`DECIDE(...).rate`: the call itself gives the named part, so both back ends compile the call alone."""
        if not isinstance(node.subject, Call):
            raise ExprError("expr_no_parts", node.subject.end, name=node.name)
        node.subject.member = node.name
        return self.check(node.subject)


def _pair(left: T, right: T) -> dict:
    l_zh, l_en = scalar(left).names()
    r_zh, r_en = scalar(right).names()
    return {"left": l_en, "left_zh": l_zh, "right": r_en, "right_zh": r_zh}


def _same_source(node: Node, left: T, right: T) -> str | None:
    sources = {t.source for t in (left, right) if t.is_rows}
    if len(sources) > 1:
        raise ExprError("expr_mixed_rows", node.start)
    return sources.pop() if sources else None


def _arithmetic(node: Binary, left: T, right: T) -> T:
    lk, rk = scalar(left).kind, scalar(right).kind
    if lk in ("number", "null") and rk in ("number", "null"):
        return NUMBER
    if node.op in ("+", "-") and lk in ("date", "datetime") and rk in ("number", "null"):
        return T(lk)  # a date plus or minus days
    if node.op == "-" and rk in ("date", "datetime") and lk in (rk, "null"):
        return NUMBER  # days between (NULL - d is empty, as d - NULL is)
    raise ExprError("expr_operand_type", node.start, op=node.op, **_pair(left, right))


def check(node: Node, scope: Scope) -> T:
    return Checker(scope).check(node)


def expect(t: T, wanted: str, node: Node) -> None:
    """The whole expression must give `wanted` (bool for conditions)."""
    if t.kind in (wanted, "null", "any") or (wanted == "number" and t.kind == "ref"):
        return
    code = "expr_not_condition" if wanted == "bool" else "expr_wrong_result"
    raise ExprError(code, node.start, **type_args(wanted, t))
