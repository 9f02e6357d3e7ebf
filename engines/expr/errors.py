"""Expression errors: a message code, its parameters, and the position in the text."""
from __future__ import annotations

from typing import Any

from engines.problems import MESSAGES, Problem

MESSAGES.update({
    "expr_syntax": ("公式第 {column} 个字符处有误：期望{expected_zh}，但遇到{found_zh}", "expression error at character {column}: expected {expected}, found {found}"),
    "expr_bad_char": ("公式第 {column} 个字符「{char}」无法识别", "expression error at character {column}: unexpected {char!r}"),
    "expr_unclosed_string": ("公式第 {column} 个字符开始的文本缺少结束引号", "expression error at character {column}: the text is missing its closing quote"),
    "expr_too_long": ("公式过长（上限 {limit} 个字符）", "the expression is too long (limit {limit} characters)"),
    "expr_too_deep": ("公式嵌套过深（上限 {limit} 层）", "the expression nests too deeply (limit {limit} levels)"),
    "expr_unknown_field": ("第 {column} 个字符：表单「{form}」没有字段「{name}」", "at character {column}: form {form!r} has no field {name!r}"),
    "expr_not_relation": ("第 {column} 个字符：「{name}」不是关联或子表字段，不能用「.」取值", "at character {column}: {name!r} is not a relation or sub-table, so '.' cannot follow it"),
    "expr_path_too_long": ("第 {column} 个字符：关联层级过深（上限 {limit}）", "at character {column}: too many relation steps (limit {limit})"),
    "expr_unknown_function": ("第 {column} 个字符：未知函数 {name}", "at character {column}: unknown function {name}"),
    "expr_arg_count": ("第 {column} 个字符：{name} 需要 {expected} 个参数，收到 {got} 个", "at character {column}: {name} takes {expected} argument(s), got {got}"),
    "expr_arg_type": ("第 {column} 个字符：{name} 的第 {index} 个参数应为{expected_zh}，收到{got_zh}", "at character {column}: argument {index} of {name} must be {expected}, got {got}"),
    "expr_operand_type": ("第 {column} 个字符：「{op}」不能用于{left_zh}和{right_zh}", "at character {column}: {op!r} cannot combine {left} and {right}"),
    "expr_compare_types": ("第 {column} 个字符：不能比较{left_zh}和{right_zh}", "at character {column}: cannot compare {left} with {right}"),
    "expr_rows_outside_aggregate": ("第 {column} 个字符：「{name}」是多行数据，只能放在 SUM、COUNT、AVG、MIN、MAX 等汇总函数里", "at character {column}: {name!r} has many rows; use it inside SUM, COUNT, AVG, MIN or MAX"),
    "expr_mixed_rows": ("第 {column} 个字符：不能把不同子表/关联的多行数据放在一起计算", "at character {column}: rows of different sub-tables or relations cannot be combined"),
    "expr_aggregate_needs_rows": ("第 {column} 个字符：{name} 的参数应是子表或多值关联字段（如 lines.qty）", "at character {column}: {name} needs a sub-table or many-relation field (such as lines.qty)"),
    "expr_not_condition": ("条件应为是/否（真/假）值，此处为{got_zh}", "a condition must be true or false, this is {got}"),
    "expr_wrong_result": ("公式结果应为{expected_zh}，此处为{got_zh}", "the expression must give {expected}, it gives {got}"),
    "expr_literal_arg": ("第 {column} 个字符：{name} 的第 {index} 个参数必须是{expected_zh}常量", "at character {column}: argument {index} of {name} must be a literal {expected}"),
    "expr_too_costly": ("公式计算量超出上限", "the expression needs too much work to evaluate"),
    "expr_default_scope": ("默认值公式只能使用本记录的字段（不能经关联或子表取值）", "a default expression may only read this record's own fields (not through links or sub-tables)"),
    "expr_cycle": ("公式字段之间循环引用：{cycle}", "formula fields refer to each other in a cycle: {cycle}"),
})


class ExprError(Exception):
    def __init__(self, code: str, position: int = 0, **params: Any):
        self.code, self.position = code, position
        self.params = {"column": position + 1, **params}
        super().__init__(Problem("", code, self.params).message("en"))

    def problem(self, path: str = "") -> Problem:
        return Problem(path, self.code, {**self.params, "position": self.position})
