"""DECIDE: one output of one of the app's decision tables (engines.rules.decision) for the inputs given.

    DECIDE('commission_rate', customer.leader.level, category).rate

The first argument names the table (a literal text), the others are its inputs in order; `.name` picks an output.
The table is found in the scope at check time and kept on the call, so both back ends read it from there.
"""
from __future__ import annotations

from engines.expr.ast import Literal
from engines.expr.errors import ExprError
from engines.expr.functions.base import Function
from engines.expr.types import T, comparable, type_args
from engines.problems import MESSAGES, ProblemsError

MESSAGES.update({
    "expr_no_parts": ("第 {column} 个字符：「.{name}」只能跟在 DECIDE(…) 之后",
                      "at character {column}: '.{name}' may only follow DECIDE(…)"),
    "expr_decide_needs_output": ("第 {column} 个字符：DECIDE(…) 之后要用「.输出名」取一个输出（如 .{example}）",
                                 "at character {column}: pick one output of DECIDE(…) with .name (such as .{example})"),
    "expr_decide_table": ("第 {column} 个字符：DECIDE 的第 1 个参数应是决策表的键（文本常量，如 'commission_rate'）",
                          "at character {column}: the first argument of DECIDE is a decision table's key as literal "
                          "text (such as 'commission_rate')"),
    "expr_unknown_decision": ("第 {column} 个字符：没有决策表「{name}」（已有：{known}）",
                              "at character {column}: there is no decision table {name!r} (known: {known})"),
    "expr_broken_decision": ("第 {column} 个字符：决策表「{name}」本身有误，请先修正它",
                             "at character {column}: decision table {name!r} has problems of its own; fix it first"),
    "expr_unknown_output": ("第 {column} 个字符：决策表「{table}」没有输出「{name}」（输出：{outputs}）",
                            "at character {column}: decision table {table!r} has no output {name!r} "
                            "(outputs: {outputs})"),
    "linkage_server_only": ("联动条件在浏览器中随填写即时判断，不能使用 {name}（可改用公式字段）",
                            "linkage conditions are evaluated in the browser as the form is filled in and cannot use "
                            "{name} (a formula field can)"),
})


class Decide(Function):
    key, category = "DECIDE", "logic"
    doc = ("查决策表：按各输入找到命中的行，取其输出（.输出名）；无行命中时为空",
           "look a decision table up: the output (.name) of the row the inputs match; empty when no row matches")
    signature = "DECIDE(table, input1, input2, …).output"
    parts = True
    browser = False  # the browser has not the app's tables: DECIDE stays out of linkage conditions

    def bind(self, call, scope) -> None:
        first = call.args[0] if call.args else None
        if not isinstance(first, Literal) or not isinstance(first.value, str):
            raise ExprError("expr_decide_table", first.start if first is not None else call.start)
        definition = scope.decisions.get(first.value)
        if definition is None:
            raise ExprError("expr_unknown_decision", first.start, name=first.value,
                            known=", ".join(sorted(scope.decisions)) or "-")
        try:
            call.table = definition.compiled()
        except ProblemsError:
            raise ExprError("expr_broken_decision", first.start, name=first.value) from None

    def check(self, call, args: list[T]) -> T:
        table = call.table
        inputs = args[1:]
        if len(inputs) != len(table.input_kinds):
            raise ExprError("expr_arg_count", call.start, name=self.key, expected=len(table.input_kinds) + 1,
                            got=len(args))
        for i, (t, kind) in enumerate(zip(inputs, table.input_kinds)):
            if t.is_rows:
                raise ExprError("expr_rows_outside_aggregate", call.args[i + 1].start, name=self.key)
            if kind != "any" and not comparable(t, T(kind)):
                raise ExprError("expr_arg_type", call.args[i + 1].start, name=self.key, index=i + 2,
                                **type_args(kind, t))
        member = getattr(call, "member", None)
        if member is None:
            raise ExprError("expr_decide_needs_output", call.end, example=table.outputs[0])
        if member not in table.outputs:
            raise ExprError("expr_unknown_output", call.end + 1, table=table.key, name=member,
                            outputs=", ".join(table.outputs))
        kind = table.output_kinds[table.outputs.index(member)]
        if table.hit == "collect":
            return T("number") if table.aggregate else T("list")
        return T(kind)

    def compile_python(self, call, args):
        return call.table.python(call.member, args[1:])

    def compile_sql(self, call, args, c):
        return call.table.sql(c, call.member, args[1:])


FUNCTIONS = [Decide()]
