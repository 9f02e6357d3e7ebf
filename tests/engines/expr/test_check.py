"""engines/expr/check.py: every name resolved and every type known at save time, with the position of the first
problem — the type rules as a table."""
from __future__ import annotations

import pytest

from engines.expr import ExprError, Scope, compile_expression
from engines.expr.check import MAX_PATH
from engines.expr.types import T
from tests.engines.expr.conftest import FORMS

TYPES = [
    # fields of each kind, through relations, system fields
    ("amount", "number"), ("weight", "number"), ("rate", "number"), ("note", "text"), ("status", "text"),
    ("phone", "text"), ("vip", "bool"), ("tags", "list"), ("paid_on", "date"), ("paid_at", "datetime"),
    ("customer", "ref"), ("customer.name", "text"), ("customer.leader", "ref"), ("customer.leader.level", "text"),
    ("customer.tags", "list"), ("id", "number"), ("version", "number"), ("created_at", "datetime"),
    ("updated_at", "datetime"), ("owner", "ref"), ("created_by", "ref"),
    # literals
    ("1", "number"), ("'a'", "text"), ("TRUE", "bool"), ("NULL", "null"),
    # arithmetic, text, dates
    ("amount + weight * 2", "number"), ("-amount", "number"), ("amount / 0", "number"), ("NULL + 1", "number"),
    ("-NULL", "number"), ("note & amount", "text"), ("note & vip & paid_on & paid_at & customer", "text"),
    ("NULL & NULL", "text"), ("paid_on + 1", "date"), ("paid_on - 1.5", "date"), ("paid_on + weight", "date"),
    ("paid_on - NULL", "date"), ("paid_at + 0.5", "datetime"), ("paid_on - due_on", "number"),
    ("paid_at - paid_at", "number"), ("TODAY() - paid_on", "number"), ("NOW() - paid_at", "number"),
    ("NULL - paid_on", "number"),
    # comparisons and conditions
    ("amount > 1", "bool"), ("amount = NULL", "bool"), ("NULL = NULL", "bool"), ("NULL < 1", "bool"),
    ("status = 'paid'", "bool"), ("'a' < 'b'", "bool"), ("paid_on < TODAY()", "bool"), ("paid_at > NOW()", "bool"),
    ("vip = FALSE", "bool"), ("vip != (amount > 1)", "bool"), ("tags = tags", "bool"), ("customer = 1", "bool"),
    ("customer > 1", "bool"), ("amount = customer", "bool"), ("customer = customer.leader", "bool"),
    ("owner = CURRENT_USER()", "bool"), ("created_by != CURRENT_USER()", "bool"), ("NOT vip", "bool"),
    ("NOT NULL", "bool"), ("NULL AND vip", "bool"), ("vip OR amount > 1", "bool"),
    ("status IN ('paid', NULL)", "bool"), ("customer NOT IN (1, 2)", "bool"), ("vip IN (TRUE)", "bool"),
    ("paid_on IN (TODAY(), paid_on + 1)", "bool"),
    # aggregates over sub-table rows and many-relations
    ("SUM(lines.qty * lines.price)", "number"), ("SUM(lines.qty * weight)", "number"), ("COUNT(lines)", "number"),
    ("COUNT(lines.qty)", "number"), ("COUNT(lines.qty > 1)", "number"), ("COUNT(gifts)", "number"),
    ("SUM(gifts.price)", "number"), ("AVG(lines.price)", "number"), ("MIN(lines.memo)", "text"),
    ("MAX(lines.qty)", "number"), ("SUM(lines.product.price)", "number"), ("SUM(-lines.qty)", "number"),
    ("SUM(lines.qty + SUM(lines.qty))", "number"), ("SUM(lines.qty * COUNT(gifts))", "number"),
    ("SUM(gifts.price) > SUM(lines.price)", "bool"),
    # functions
    ("IF(vip, 1, NULL)", "number"), ("IF(vip, NULL, 'a')", "text"), ("IF(vip, NULL, NULL)", "null"),
    ("IF(vip, customer, 1)", "ref"), ("IF(NULL, 1, 2)", "number"), ("IF(vip, paid_on)", "date"),
    ("IFS(vip, 1, amount > 2, 2)", "number"), ("AND(vip, amount > 1)", "bool"), ("OR(vip)", "bool"),
    ("NOT(vip)", "bool"), ("ISBLANK(note)", "bool"), ("ISBLANK(tags)", "bool"), ("BLANKVALUE(amount, 0)", "number"),
    ("BLANKVALUE(NULL, 'x')", "text"), ("HAS_TAG(tags, 'VIP')", "bool"), ("HAS_TAG(customer.tags, note)", "bool"),
    ("TODAY()", "date"), ("NOW()", "datetime"), ("CURRENT_USER()", "ref"),
]


@pytest.mark.parametrize("text, kind", TYPES)
def test_types(scope, text, kind):
    assert compile_expression(text, scope).type.kind == kind


def _pair(left, right):
    names = {"number": "a number", "text": "text", "bool": "true/false", "date": "a date", "datetime": "a date-time",
             "list": "a list", "null": "empty", "ref": "a record link"}
    return {"left": names[left], "right": names[right]}


ERRORS = [
    # text, code, position, parameters that must be there
    ("amont", "expr_unknown_field", 0, {"form": "order", "name": "amont"}),
    ("amount + amont", "expr_unknown_field", 9, {"name": "amont"}),
    ("customer.nam", "expr_unknown_field", 9, {"form": "customer", "name": "nam"}),
    ("customer.leader.nme", "expr_unknown_field", 16, {"form": "leader", "name": "nme"}),
    ("lines.qtty", "expr_unknown_field", 6, {"form": "order.lines", "name": "qtty"}),
    ("SUM(gifts.prize)", "expr_unknown_field", 10, {"form": "product", "name": "prize"}),
    ("DECIDE('a').rate", "expr_unknown_decision", 7, {"name": "a"}),  # the scope has no decision tables
    ("amount.x", "expr_not_relation", 0, {"name": "amount"}),
    ("customer.name.x", "expr_not_relation", 9, {"name": "name"}),
    ("1 + customer.leader.level.x", "expr_not_relation", 20, {"name": "level"}),
    ("id.x", "expr_not_relation", 0, {"name": "id"}),
    ("owner.name", "expr_not_relation", 0, {"name": "owner"}),
    ("customer.leader.name.x.y", "expr_path_too_long", 0, {"limit": MAX_PATH}),
    # rows only inside aggregates, one collection at a time
    ("lines.qty", "expr_rows_outside_aggregate", 0, {"name": "lines.qty"}),
    ("lines", "expr_rows_outside_aggregate", 0, {"name": "lines"}),
    ("lines.qty + 1", "expr_rows_outside_aggregate", 0, {"name": "lines.qty"}),
    ("SUM(lines.qty) + lines.qty", "expr_rows_outside_aggregate", 17, {"name": "lines.qty"}),
    ("gifts.price > 1", "expr_rows_outside_aggregate", 0, {"name": "gifts.price"}),
    ("lines.product.price", "expr_rows_outside_aggregate", 0, {"name": "lines.product.price"}),
    ("ISBLANK(lines.qty)", "expr_rows_outside_aggregate", 8, {"name": "lines.qty"}),
    ("SUM(lines.qty * gifts.price)", "expr_mixed_rows", 4, {}),
    ("SUM(amount)", "expr_aggregate_needs_rows", 4, {"name": "SUM"}),
    ("COUNT(customer.tags)", "expr_aggregate_needs_rows", 6, {"name": "COUNT"}),
    ("SUM(lines.qty, 1)", "expr_arg_count", 0, {"name": "SUM", "expected": 1, "got": 2}),
    ("COUNT()", "expr_arg_count", 0, {"name": "COUNT", "expected": 1, "got": 0}),
    ("SUM(lines.product)", "expr_arg_type", 4, {"name": "SUM", "index": 1, "got": "a record link"}),
    ("SUM(lines)", "expr_arg_type", 4, {"name": "SUM", "got": "a record"}),
    ("AVG(lines.qty > 1)", "expr_arg_type", 4, {"name": "AVG", "got": "true/false"}),
    ("MAX(lines.gift)", "expr_arg_type", 4, {"name": "MAX", "got": "true/false"}),
    # comparisons
    ("paid_on = 'x'", "expr_compare_types", 0, _pair("date", "text")),
    ("paid_on < paid_at", "expr_compare_types", 0, _pair("date", "datetime")),
    ("paid_on > NOW()", "expr_compare_types", 0, _pair("date", "datetime")),
    ("'a' < 1", "expr_compare_types", 0, _pair("text", "number")),
    ("vip = 1", "expr_compare_types", 0, _pair("bool", "number")),
    ("amount > 1 AND note = 2", "expr_compare_types", 15, _pair("text", "number")),
    ("note IN ('a', 1)", "expr_compare_types", 14, _pair("text", "number")),
    ("tags IN ('a')", "expr_compare_types", 9, _pair("list", "text")),
    ("vip < TRUE", "expr_operand_type", 0, {"op": "<", **_pair("bool", "bool")}),
    ("tags < tags", "expr_operand_type", 0, {"op": "<", **_pair("list", "list")}),
    # operators on the wrong kinds
    ("amount AND vip", "expr_operand_type", 0, {"op": "AND", **_pair("number", "bool")}),
    ("vip OR note", "expr_operand_type", 0, {"op": "OR", **_pair("bool", "text")}),
    ("NOT amount", "expr_operand_type", 0, {"op": "NOT"}),
    ("-note", "expr_operand_type", 0, {"op": "-"}),
    ("note + 1", "expr_operand_type", 0, {"op": "+", **_pair("text", "number")}),
    ("customer + 1", "expr_operand_type", 0, {"op": "+", **_pair("ref", "number")}),
    ("tags & 'x'", "expr_operand_type", 0, {"op": "&", **_pair("list", "text")}),
    ("paid_on + due_on", "expr_operand_type", 0, {"op": "+", **_pair("date", "date")}),
    ("1 + paid_on", "expr_operand_type", 0, {"op": "+", **_pair("number", "date")}),
    ("NULL + paid_on", "expr_operand_type", 0, {"op": "+", **_pair("null", "date")}),
    ("paid_on - paid_at", "expr_operand_type", 0, {"op": "-", **_pair("date", "datetime")}),
    ("paid_on * 2", "expr_operand_type", 0, {"op": "*", **_pair("date", "number")}),
    ("paid_at / 2", "expr_operand_type", 0, {"op": "/", **_pair("datetime", "number")}),
    ("amount + 'a'", "expr_operand_type", 0, {"op": "+", **_pair("number", "text")}),
    # functions: unknown, argument counts, argument types
    ("FOO(1)", "expr_unknown_function", 0, {"name": "FOO"}),
    ("1 + foo()", "expr_unknown_function", 4, {"name": "FOO"}),
    ("IF(vip)", "expr_arg_count", 0, {"name": "IF", "got": 1}),
    ("IF(vip, 1, 2, 3)", "expr_arg_count", 0, {"name": "IF", "got": 4}),
    ("IFS(vip)", "expr_arg_count", 0, {"name": "IFS", "got": 1}),
    ("IFS(vip, 1, amount > 1)", "expr_arg_count", 0, {"name": "IFS", "got": 3}),
    ("AND()", "expr_arg_count", 0, {"name": "AND", "expected": "1+", "got": 0}),
    ("NOT(vip, vip)", "expr_arg_count", 0, {"name": "NOT", "got": 2}),
    ("ISBLANK()", "expr_arg_count", 0, {"name": "ISBLANK", "got": 0}),
    ("TODAY(1)", "expr_arg_count", 0, {"name": "TODAY", "got": 1}),
    ("IF(amount, 1, 2)", "expr_arg_type", 3, {"name": "IF", "index": 1, "expected": "true/false", "got": "a number"}),
    ("IF(vip, 1, 'a')", "expr_arg_type", 11, {"name": "IF", "index": 3, "expected": "a number", "got": "text"}),
    ("IF(vip, paid_on, paid_at)", "expr_arg_type", 17, {"name": "IF", "index": 3, "got": "a date-time"}),
    ("IFS(vip, 1, amount > 2, 'x')", "expr_arg_type", 24, {"name": "IFS", "index": 4, "got": "text"}),
    ("IFS(amount, 1)", "expr_arg_type", 4, {"name": "IFS", "index": 1, "expected": "true/false"}),
    ("AND(vip, amount)", "expr_arg_type", 9, {"name": "AND", "index": 2, "got": "a number"}),
    ("NOT(note)", "expr_arg_type", 4, {"name": "NOT", "index": 1, "got": "text"}),
    ("HAS_TAG(tags, 1)", "expr_arg_type", 14, {"name": "HAS_TAG", "index": 2, "expected": "text"}),
    ("HAS_TAG(note, 'x')", "expr_arg_type", 8, {"name": "HAS_TAG", "index": 1, "expected": "a list", "got": "text"}),
    ("BLANKVALUE(amount, 'x')", "expr_arg_type", 19, {"name": "BLANKVALUE", "index": 2, "got": "text"}),
]


@pytest.mark.parametrize("text, code, position, params", ERRORS)
def test_errors_have_a_code_a_position_and_parameters(scope, text, code, position, params):
    with pytest.raises(ExprError) as info:
        compile_expression(text, scope)
    error = info.value
    assert (error.code, error.position) == (code, position)
    assert params.items() <= error.params.items()
    assert error.params["column"] == position + 1
    for lang in ("zh-CN", "en"):  # every parameter the templates name is there
        message = error.problem("/x").message(lang)
        assert "{" not in message and message != code


MESSAGES = [
    ("customer.nam", "第 10 个字符：表单「customer」没有字段「nam」",
     "at character 10: form 'customer' has no field 'nam'"),
    ("amount.x", "第 1 个字符：「amount」不是关联或子表字段，不能用「.」取值",
     "at character 1: 'amount' is not a relation or sub-table, so '.' cannot follow it"),
    ("1 + lines.qty", "第 5 个字符：「lines.qty」是多行数据，只能放在 SUM、COUNT、AVG、MIN、MAX 等汇总函数里",
     "at character 5: 'lines.qty' has many rows; use it inside SUM, COUNT, AVG, MIN or MAX"),
    ("SUM(lines.qty * gifts.price)", "第 5 个字符：不能把不同子表/关联的多行数据放在一起计算",
     "at character 5: rows of different sub-tables or relations cannot be combined"),
    ("paid_on = 'x'", "第 1 个字符：不能比较日期和文本", "at character 1: cannot compare a date with text"),
    ("amount AND vip", "第 1 个字符：「AND」不能用于数字和是/否",
     "at character 1: 'AND' cannot combine a number and true/false"),
    ("IF(vip, 1, 'a')", "第 12 个字符：IF 的第 3 个参数应为数字，收到文本",
     "at character 12: argument 3 of IF must be a number, got text"),
    ("IF(vip)", "第 1 个字符：IF 需要 2–3 个参数，收到 1 个", "at character 1: IF takes 2–3 argument(s), got 1"),
    ("FOO(1)", "第 1 个字符：未知函数 FOO", "at character 1: unknown function FOO"),
]


@pytest.mark.parametrize("text, zh, en", MESSAGES)
def test_messages_in_both_languages(scope, text, zh, en):
    with pytest.raises(ExprError) as info:
        compile_expression(text, scope)
    problem = info.value.problem("/forms/3/fields/0/expr")
    assert (problem.message("zh-CN"), problem.message("en")) == (zh, en)
    assert problem.params["position"] == info.value.position


EXPECT = [
    # text, expect, error code or None
    ("amount > 1", "bool", None), ("NULL", "bool", None), ("vip", "bool", None),
    ("amount", "bool", "expr_not_condition"),
    ("note", "bool", "expr_not_condition"), ("IF(vip, 1, 2)", "bool", "expr_not_condition"),
    ("amount * 2", "number", None), ("customer", "number", None), ("NULL", "number", None),
    ("note", "number", "expr_wrong_result"), ("paid_on", "number", "expr_wrong_result"),
    ("paid_on + 1", "date", None), ("paid_at", "date", "expr_wrong_result"), ("note & 1", "text", None),
]


@pytest.mark.parametrize("text, wanted, code", EXPECT)
def test_expected_result_kind(scope, text, wanted, code):
    if code is None:
        compile_expression(text, scope, expect=wanted)
        return
    with pytest.raises(ExprError) as info:
        compile_expression(text, scope, expect=wanted)
    assert (info.value.code, info.value.position) == (code, 0)


def test_condition_messages(scope):
    with pytest.raises(ExprError) as info:
        compile_expression("amount", scope, expect="bool")
    assert info.value.problem().message("zh-CN") == "条件应为是/否（真/假）值，此处为数字"
    assert info.value.problem().message("en") == "a condition must be true or false, this is a number"
    with pytest.raises(ExprError) as info:
        compile_expression("note", scope, expect="number")
    assert info.value.problem().message("en") == "the expression must give a number, it gives text"


def test_a_field_named_like_a_system_field_wins():
    from engines.form.definition import FormDef

    forms = dict(FORMS, task=FormDef.model_validate({"key": "task", "name": "任务", "fields": [
        {"key": "owner", "type": "text"}, {"key": "title", "type": "text"}]}))
    assert compile_expression("owner & title", Scope(forms, "task")).type.kind == "text"
    assert compile_expression("created_by = CURRENT_USER()", Scope(forms, "task")).type.kind == "bool"


def test_rows_carry_their_collection(scope):
    compiled = compile_expression("SUM(lines.qty * lines.price)", scope)
    argument = compiled.node.args[0]
    assert argument.type == T("rows", item=T("number"), source="lines")
    assert compiled.paths == {("lines", "qty"), ("lines", "price")}
    assert compile_expression("customer.leader.name", scope).paths == {("customer", "leader", "name")}


def test_too_many_parts_is_too_costly(scope):
    with pytest.raises(ExprError) as info:
        compile_expression("amount IN (" + ",".join(["1"] * 1000) + ")", scope)
    assert info.value.code == "expr_too_costly"
