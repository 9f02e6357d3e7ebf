"""engines/expr/parser.py: precedence and associativity, literals, positions, syntax errors in both languages,
and the limits on length and depth."""
from __future__ import annotations

import pytest

from engines.expr import ExprError, parse
from engines.expr.ast import Binary, Call, In, Literal, Member, Name, Unary
from engines.expr.parser import MAX_DEPTH, MAX_LENGTH


def show(node) -> str:
    """A tree as a Lisp-like string: (+ a (* b c))."""
    if isinstance(node, Literal):
        value = node.value
        return {None: "NULL", True: "TRUE", False: "FALSE"}.get(value, repr(value)) if not isinstance(value, float) \
            else repr(value)
    if isinstance(node, Name):
        return ".".join(node.path)
    if isinstance(node, Unary):
        return f"({node.op} {show(node.operand)})"
    if isinstance(node, Binary):
        return f"({node.op} {show(node.left)} {show(node.right)})"
    if isinstance(node, In):
        return f"({'NOT IN' if node.negated else 'IN'} {show(node.subject)} {' '.join(map(show, node.options))})"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(map(show, node.args))})"
    if isinstance(node, Member):
        return f"(. {show(node.subject)} {node.name})"
    raise AssertionError(node)


PRECEDENCE = [
    # arithmetic: * / over + -, all left-associative
    ("a + b * c", "(+ a (* b c))"),
    ("a * b + c", "(+ (* a b) c)"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b / c", "(/ (/ a b) c)"),
    ("a - b + c", "(+ (- a b) c)"),
    ("a * b / c * d", "(* (/ (* a b) c) d)"),
    ("(a + b) * c", "(* (+ a b) c)"),
    # unary minus binds tightest; unary plus disappears
    ("-a * b", "(* (- a) b)"),
    ("-a + b", "(+ (- a) b)"),
    ("a - -b", "(- a (- b))"),
    ("- -a", "(- (- a))"),
    ("+a", "a"),
    ("-2 * 3", "(* (- 2.0) 3.0)"),
    ("-customer.score", "(- customer.score)"),
    # & sits between comparisons and + -
    ("a & b + c", "(& a (+ b c))"),
    ("a + b & c", "(& (+ a b) c)"),
    ("a & b & c", "(& (& a b) c)"),
    ("a & b = c", "(= (& a b) c)"),
    ("a = b & c", "(= a (& b c))"),
    # comparisons: above AND/OR/NOT, below &, left-associative, spellings normalised
    ("a < b + 1", "(< a (+ b 1.0))"),
    ("a = b = c", "(= (= a b) c)"),
    ("a <> b", "(!= a b)"),
    ("a == b", "(= a b)"),
    ("a != b", "(!= a b)"),
    ("a <= b", "(<= a b)"),
    ("a >= b", "(>= a b)"),
    ("a > b AND c < d", "(AND (> a b) (< c d))"),
    # NOT binds looser than comparisons, tighter than AND; AND tighter than OR
    ("NOT a = b", "(NOT (= a b))"),
    ("NOT a AND b", "(AND (NOT a) b)"),
    ("NOT NOT a", "(NOT (NOT a))"),
    ("a AND b OR c", "(OR (AND a b) c)"),
    ("a OR b AND c", "(OR a (AND b c))"),
    ("a OR b OR c", "(OR (OR a b) c)"),
    ("a AND NOT b OR c", "(OR (AND a (NOT b)) c)"),
    ("a = NOT b", "(= a (NOT b))"),
    # IN / NOT IN: at comparison level
    ("a IN (1, 2)", "(IN a 1.0 2.0)"),
    ("a NOT IN ('x')", "(NOT IN a 'x')"),
    ("NOT a IN (1)", "(NOT (IN a 1.0))"),
    ("a + 1 IN (2)", "(IN (+ a 1.0) 2.0)"),
    ("a IN (1) AND b", "(AND (IN a 1.0) b)"),
    ("a IN (1 + 1, b & c)", "(IN a (+ 1.0 1.0) (& b c))"),
    ("a & b IN ('x')", "(IN (& a b) 'x')"),
    # functions, AND/OR/NOT as functions; names and keywords are case-insensitive
    ("IF(a, b, c)", "IF(a, b, c)"),
    ("if(a, b)", "IF(a, b)"),
    ("TODAY()", "TODAY()"),
    ("AND(a, b) OR c", "(OR AND(a, b) c)"),
    ("OR(a)", "OR(a)"),
    ("NOT(a)", "NOT(a)"),
    ("not(a) and b", "(AND NOT(a) b)"),
    # `NOT (` reads as the function, so what follows the bracket applies to NOT(…)'s result
    ("NOT (a) = b", "(= NOT(a) b)"),
    ("NOT (a = b)", "NOT((= a b))"),
    ("SUM(lines.qty * lines.price) > 100", "(> SUM((* lines.qty lines.price)) 100.0)"),
    ("ROUND(a, 2) + 1", "(+ ROUND(a, 2.0) 1.0)"),
    # dotted paths, with or without spaces around the dot; member access on a value
    ("customer.leader.name", "customer.leader.name"),
    ("customer . name", "customer.name"),
    ("DECIDE('t', a).rate", "(. DECIDE('t', a) rate)"),
    # keywords and literals
    ("true AND False OR null", "(OR (AND TRUE FALSE) NULL)"),
    ("nOt a", "(NOT a)"),
]


@pytest.mark.parametrize("text, tree", PRECEDENCE)
def test_precedence_and_associativity(text, tree):
    assert show(parse(text)) == tree


LITERALS = [
    ("123", 123.0), ("1.5", 1.5), (".5", 0.5), ("1.", 1.0), ("1e3", 1000.0), ("1E3", 1000.0), ("1.5e-2", 0.015),
    ("2E+2", 200.0), ("1.e3", 1000.0), ("007", 7.0), ("0", 0.0),
    ("'text'", "text"), ('"text"', "text"), ("''", ""), ('""', ""),
    ("'it''s'", "it's"), ('"say ""hi"""', 'say "hi"'), ("'it\\'s'", "it's"), ('"say \\"hi\\""', 'say "hi"'),
    ("'a\"b'", 'a"b'), ('"a\'b"', "a'b"),
    ("'a\\nb'", "a\nb"), ("'a\\tb'", "a\tb"), ("'a\\\\b'", "a\\b"), ("'\\q'", "q"), ("'a\\\nb'", "a\nb"),
    ("'中文，全角'", "中文，全角"), ("'two\nlines'", "two\nlines"), ("'\\''''", "''"),
    ("TRUE", True), ("false", False), ("NULL", None),
]


@pytest.mark.parametrize("text, value", LITERALS)
def test_literals(text, value):
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)


def test_whitespace_of_any_kind_separates_tokens():
    assert show(parse("a\t+\n b\u3000*  c")) == "(+ a (* b c))"


def test_nodes_keep_their_place_in_the_text():
    node = parse("a + SUM(lines.qty) * 2")
    assert (node.start, node.end) == (0, 22)
    call = node.right.left
    assert (call.start, call.end) == (4, 18)
    assert (call.args[0].start, call.args[0].end) == (8, 17)
    inner = parse("(a + b)")
    assert (inner.start, inner.end) == (0, 7)  # brackets belong to the node they enclose
    assert (inner.left.start, inner.right.end) == (1, 6)
    negative = parse("x NOT IN (1)")
    assert (negative.start, negative.end) == (0, 12)


OPERAND = ("数值、文本、字段、函数或「(」", "a value, a field, a function or '('")
SYNTAX_ERRORS = [
    # text, position, expected (zh, en), found
    ("a +", 3, OPERAND, "end of expression"),
    ("", 0, OPERAND, "end of expression"),
    (")", 0, OPERAND, "')'"),
    ("1 +* 2", 3, OPERAND, "'*'"),
    ("NOT", 3, OPERAND, "end of expression"),
    ("AND", 0, OPERAND, "'AND'"),
    ("in(1)", 0, OPERAND, "'IN'"),
    ("a IN ()", 6, OPERAND, "')'"),
    ("x IN (1,)", 8, OPERAND, "')'"),
    ("f(1,)", 4, OPERAND, "')'"),
    ("(a", 2, ("「)」", "')'"), "end of expression"),
    ("IF(a, (b)", 9, ("「,」或「)」", "',' or ')'"), "end of expression"),
    ("f(a b)", 4, ("「,」或「)」", "',' or ')'"), "'b'"),
    ("a b", 2, ("公式结束", "the end of the expression"), "'b'"),
    ("a NOT b", 2, ("公式结束", "the end of the expression"), "'NOT'"),
    ("TRUE()", 4, ("公式结束", "the end of the expression"), "'('"),
    ("a.1", 1, ("公式结束", "the end of the expression"), "'.1'"),
    ("1e", 1, ("公式结束", "the end of the expression"), "'e'"),
    ("a NOT IN 1", 9, ("「(」", "'('"), "'1'"),
    ("a.", 2, ("字段名", "a field name"), "end of expression"),
    ("a..b", 2, ("字段名", "a field name"), "'.'"),
    ("amount.and", 7, ("字段名", "a field name"), "'AND'"),
    ("1e999 + 1", 0, ("大小合理的数字", "a number of sensible size"), "'1e999'"),
]


@pytest.mark.parametrize("text, position, expected, found", SYNTAX_ERRORS)
def test_syntax_errors_name_the_place_and_what_was_expected(text, position, expected, found):
    with pytest.raises(ExprError) as info:
        parse(text)
    error = info.value
    assert (error.code, error.position) == ("expr_syntax", position)
    assert (error.params["expected_zh"], error.params["expected"], error.params["found"]) == (*expected, found)
    problem = error.problem("/forms/0/fields/3/expr")
    assert problem.path == "/forms/0/fields/3/expr" and problem.params["position"] == position
    assert problem.message("en") == (f"expression error at character {position + 1}: "
                                     f"expected {expected[1]}, found {found}")
    found_zh = "公式结尾" if found == "end of expression" else f"「{found[1:-1]}」"
    assert problem.message("zh-CN") == f"公式第 {position + 1} 个字符处有误：期望{expected[0]}，但遇到{found_zh}"


def test_bad_characters_and_unclosed_text():
    cases = {"a # b": ("expr_bad_char", 2), "amount；": ("expr_bad_char", 6), "a @ b": ("expr_bad_char", 2),
             "'abc": ("expr_unclosed_string", 0), "a + 'b": ("expr_unclosed_string", 4),
             "'a\\'": ("expr_unclosed_string", 0), '"x': ("expr_unclosed_string", 0),
             "'a''": ("expr_unclosed_string", 3)}
    for text, (code, position) in cases.items():
        with pytest.raises(ExprError) as info:
            parse(text)
        assert (info.value.code, info.value.position) == (code, position), text
    with pytest.raises(ExprError) as info:
        parse("a # b")
    assert info.value.problem().message("zh-CN") == "公式第 3 个字符「#」无法识别"
    assert info.value.problem().message("en") == "expression error at character 3: unexpected '#'"
    with pytest.raises(ExprError) as info:
        parse("x & 'abc")
    assert info.value.problem().message("zh-CN") == "公式第 5 个字符开始的文本缺少结束引号"
    assert info.value.problem().message("en") == \
        "expression error at character 5: the text is missing its closing quote"


def test_only_text_is_parsed():
    for value in (None, 12, b"a + b", ["a"]):
        with pytest.raises(ExprError) as info:
            parse(value)
        assert info.value.code == "expr_syntax"


def test_length_limit():
    parse("1" + " " * (MAX_LENGTH - 1))
    with pytest.raises(ExprError) as info:
        parse("1" + " " * MAX_LENGTH)
    assert (info.value.code, info.value.position, info.value.params["limit"]) == ("expr_too_long", 0, MAX_LENGTH)
    assert info.value.problem().message("zh-CN") == f"公式过长（上限 {MAX_LENGTH} 个字符）"
    assert info.value.problem().message("en") == f"the expression is too long (limit {MAX_LENGTH} characters)"


def test_depth_limit_on_brackets():
    parse("(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1))
    with pytest.raises(ExprError) as info:
        parse("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH)
    assert (info.value.code, info.value.params["limit"]) == ("expr_too_deep", MAX_DEPTH)
    assert info.value.position == MAX_DEPTH  # where the nesting went one level too far: at the "1"
    assert info.value.problem().message("zh-CN") == f"公式嵌套过深（上限 {MAX_DEPTH} 层）"
    assert info.value.problem().message("en") == f"the expression nests too deeply (limit {MAX_DEPTH} levels)"


@pytest.mark.parametrize("template", ["{}", "-{}", "NOT {}", "IF(TRUE, {}, 2)"])
def test_depth_limit_on_prefixes_and_calls(template):
    text = "1"
    for _ in range(MAX_DEPTH + 1):
        text = template.format(text) if "{}" != template else f"({text})"
    with pytest.raises(ExprError) as info:
        parse(text)
    assert info.value.code == "expr_too_deep"


def test_depth_limit_on_long_chains():
    """`a + a + … + a` parses in a loop, but its tree is as deep as the chain is long: the limit holds there too,
    so no later stage (checker, Python closures, SQLAlchemy's compiler) runs out of stack."""
    assert isinstance(parse(" + ".join(["a"] * MAX_DEPTH)), Binary)
    for op in ("+", "*", "&", "AND", "OR", "=", "<"):
        with pytest.raises(ExprError) as info:
            parse(f" {op} ".join(["a"] * (MAX_DEPTH + 1)))
        assert (info.value.code, info.value.position) == ("expr_too_deep", 0), op
    with pytest.raises(ExprError) as info:
        parse("+".join(["1"] * 1999))  # well within the length limit, far past the depth limit
    assert info.value.code == "expr_too_deep"
