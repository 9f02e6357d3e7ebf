"""IF, IFS, AND, OR, NOT, ISBLANK, BLANKVALUE: conditions. Conditions are never empty: an empty
comparison is false, so IF and filters behave the same in Python and in SQL."""
from __future__ import annotations

from sqlalchemy import and_, case, func, not_, or_

from engines.expr.errors import ExprError
from engines.expr.functions.base import Simple
from engines.expr.types import T, comparable, type_args


def _unify(call, types: list[T], first_index: int) -> T:
    known = [t for t in types if t.kind not in ("null", "any")]
    if not known:
        return T("null")
    result = known[0]
    for i, t in enumerate(types):
        if not comparable(result, t) or t.is_rows:
            raise ExprError("expr_arg_type", call.args[first_index + i].start, name=call.name,
                            index=first_index + i + 1, **type_args(result.kind, t))
    return result


class If(Simple):
    key, category = "IF", "logic"
    doc = ("条件成立取第二个值，否则取第三个值（省略则为空）", "the second value when the condition holds, else the third (empty when left out)")
    signature = "IF(condition, then, else?)"

    def check(self, call, args):
        if len(args) not in (2, 3):
            raise ExprError("expr_arg_count", call.start, name="IF", expected="2–3", got=len(args))
        if args[0].kind not in ("bool", "null"):
            raise ExprError("expr_arg_type", call.args[0].start, name="IF", index=1, **type_args("bool", args[0]))
        return _unify(call, args[1:], 1)

    def compile_python(self, call, args):
        condition, then = args[0], args[1]
        otherwise = args[2] if len(args) > 2 else (lambda env, ctx: None)
        return lambda env, ctx: then(env, ctx) if condition(env, ctx) else otherwise(env, ctx)

    def compile_sql(self, call, args, c):
        return case((args[0], args[1]), else_=args[2] if len(args) > 2 else None)


class Ifs(Simple):
    key, category = "IFS", "logic"
    doc = ("依次判断条件，取第一个成立条件对应的值", "the value after the first condition that holds")
    signature = "IFS(condition1, value1, condition2, value2, …)"

    def check(self, call, args):
        if len(args) < 2 or len(args) % 2:
            raise ExprError("expr_arg_count", call.start, name="IFS", expected="2, 4, 6…", got=len(args))
        for i in range(0, len(args), 2):
            if args[i].kind not in ("bool", "null"):
                raise ExprError("expr_arg_type", call.args[i].start, name="IFS", index=i + 1, **type_args("bool", args[i]))
        return _unify(call, args[1::2], 1) if len(args) == 2 else _unify_pairs(call, args)

    def compile_python(self, call, args):
        pairs = list(zip(args[::2], args[1::2]))

        def run(env, ctx):
            for condition, value in pairs:
                if condition(env, ctx):
                    return value(env, ctx)
            return None
        return run

    def compile_sql(self, call, args, c):
        return case(*zip(args[::2], args[1::2]), else_=None)


def _unify_pairs(call, args):
    values = args[1::2]
    known = [t for t in values if t.kind not in ("null", "any")]
    if not known:
        return T("null")
    for i, t in enumerate(values):
        if not comparable(known[0], t):
            raise ExprError("expr_arg_type", call.args[2 * i + 1].start, name=call.name, index=2 * i + 2,
                            **type_args(known[0].kind, t))
    return known[0]


class And(Simple):
    key, category = "AND", "logic"
    doc = ("所有条件都成立", "every condition holds")
    signature = "AND(condition, …)"
    params, result, nulls = ("*bool",), "bool", True

    def check(self, call, args):
        if not args:
            raise ExprError("expr_arg_count", call.start, name=self.key, expected="1+", got=0)
        return super().check(call, args)

    def py(self, ctx, *values):
        return all(bool(v) for v in values)

    def sql(self, c, *columns):
        return and_(*columns)


class Or(And):
    key = "OR"
    doc = ("任一条件成立", "at least one condition holds")
    signature = "OR(condition, …)"

    def py(self, ctx, *values):
        return any(bool(v) for v in values)

    def sql(self, c, *columns):
        return or_(*columns)


class Not(Simple):
    key, category = "NOT", "logic"
    doc = ("条件取反", "the opposite of the condition")
    signature = "NOT(condition)"
    params, result, nulls = ("bool",), "bool", True

    def py(self, ctx, value):
        return not value

    def sql(self, c, column):
        return not_(column)


class IsBlank(Simple):
    key, category = "ISBLANK", "logic"
    doc = ("值为空（未填写、空文本或空列表）", "the value is empty (not filled in, empty text or an empty list)")
    signature = "ISBLANK(value)"
    params, result, nulls = ("any",), "bool", True

    def py(self, ctx, value):
        return value is None or value == "" or value == []

    def sql(self, c, column):
        return c.is_blank(column)


class BlankValue(Simple):
    key, category = "BLANKVALUE", "logic"
    doc = ("值为空时取替代值", "the value, or the fallback when it is empty")
    signature = "BLANKVALUE(value, fallback)"
    params, result, nulls = ("any", "any"), "$1", True

    def check(self, call, args):
        super().check(call, args)
        return _unify(call, args, 0)

    def py(self, ctx, value, fallback):
        return fallback if value is None or value == "" else value

    def compile_sql(self, call, args, c):
        column, fallback = args
        if call.args[0].type.kind == "text":  # empty text is blank too, as in Python
            return case((func.coalesce(column, "") == "", fallback), else_=column)
        return func.coalesce(column, fallback)


FUNCTIONS = [If(), Ifs(), And(), Or(), Not(), IsBlank(), BlankValue()]
