"""Expression text → syntax tree: a small tokenizer and a Pratt parser (no eval, bounded length and depth)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from engines.expr.ast import Binary, Call, In, Literal, Member, Name, Node, Unary, children
from engines.expr.errors import ExprError

MAX_LENGTH = 4000
MAX_DEPTH = 48

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|==|[-+*/&=<>(),.])
""", re.VERBOSE | re.DOTALL)  # DOTALL: a backslash may escape a line break inside text
KEYWORDS = {"AND", "OR", "NOT", "IN", "TRUE", "FALSE", "NULL"}
COMPARISONS = {"=", "==", "!=", "<>", "<", "<=", ">", ">="}
# What the parser hoped for, for messages: (zh, en)
EXPECTED = {
    "operand": ("数值、文本、字段、函数或「(」", "a value, a field, a function or '('"),
    ")": ("「)」", "')'"),
    "(": ("「(」", "'('"),
    "name": ("字段名", "a field name"),
    "end": ("公式结束", "the end of the expression"),
    "number": ("大小合理的数字", "a number of sensible size"),
    ", or )": ("「,」或「)」", "',' or ')'"),
}


@dataclass
class Token:
    kind: str  # number, string, name, keyword, op, end
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            char = text[position]
            if char in "'\"":
                raise ExprError("expr_unclosed_string", position)
            raise ExprError("expr_bad_char", position, char=char)
        kind = match.lastgroup
        if kind != "space":
            word = match.group()
            if kind == "name" and word.upper() in KEYWORDS:
                kind, word = "keyword", word.upper()
            tokens.append(Token(kind, word, match.start(), match.end()))
        position = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _unquote(raw: str) -> str:
    quote, body = raw[0], raw[1:-1]
    body = body.replace(quote * 2, quote)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body, flags=re.DOTALL)


# Binding power of infix operators; higher binds tighter.
_INFIX = {"OR": 10, "AND": 20, **{op: 40 for op in COMPARISONS}, "IN": 40, "NOT": 40, "&": 50,
          "+": 60, "-": 60, "*": 70, "/": 70, ".": 90}


class Parser:
    def __init__(self, text: str):
        if len(text) > MAX_LENGTH:
            raise ExprError("expr_too_long", 0, limit=MAX_LENGTH)
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str):
        token = self.token
        found = "end of expression" if token.kind == "end" else repr(token.text)
        found_zh = "公式结尾" if token.kind == "end" else f"「{token.text}」"
        zh, en = EXPECTED[expected]
        raise ExprError("expr_syntax", token.start, expected=en, expected_zh=zh, found=found, found_zh=found_zh)

    def expect(self, text: str) -> Token:
        if self.token.text != text or self.token.kind not in ("op", "keyword"):
            self.fail(text)
        return self.advance()

    def parse(self) -> Node:
        node = self.expression(0)
        if self.token.kind != "end":
            self.fail("end")
        return node

    def expression(self, power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("expr_too_deep", self.token.start, limit=MAX_DEPTH)
        left = self.prefix()
        while True:
            token = self.token
            key = token.text if token.kind in ("op", "keyword") else None
            if key == "NOT" and self.tokens[self.index + 1].text != "IN":
                break
            bp = _INFIX.get(key or "")
            if bp is None or bp <= power:
                break
            left = self.infix(left, bp)
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            value = float(token.text)
            if not math.isfinite(value):  # 1e999: infinity would follow different rules in each back end
                self.index -= 1
                self.fail("number")
            return Literal(token.start, token.end, value=value)
        if token.kind == "string":
            return Literal(token.start, token.end, value=_unquote(token.text))
        if token.kind == "keyword" and token.text in ("TRUE", "FALSE"):
            return Literal(token.start, token.end, value=token.text == "TRUE")
        if token.kind == "keyword" and token.text == "NULL":
            return Literal(token.start, token.end, value=None)
        if token.kind == "keyword" and token.text in ("NOT", "AND", "OR") and self.token.text == "(":
            return self.call(token)
        if token.kind == "keyword" and token.text == "NOT":
            operand = self.expression(30)
            return Unary(token.start, operand.end, op="NOT", operand=operand)
        if token.kind == "op" and token.text in "-+":
            operand = self.expression(80)
            return operand if token.text == "+" else Unary(token.start, operand.end, op="-", operand=operand)
        if token.kind == "op" and token.text == "(":
            inner = self.expression(0)
            close = self.expect(")")
            inner.start, inner.end = token.start, close.end
            return inner
        if token.kind == "name":
            if self.token.text == "(" and self.token.kind == "op":
                return self.call(token)
            path, end = [token.text], token.end
            while self.token.text == "." and self.tokens[self.index + 1].kind == "name":
                self.advance()
                part = self.advance()
                path.append(part.text)
                end = part.end
            return Name(token.start, end, path=tuple(path))
        self.index -= 1
        self.fail("operand")

    def call(self, name: Token) -> Node:
        self.expect("(")
        args: list[Node] = []
        if self.token.text != ")":
            while True:
                args.append(self.expression(0))
                if self.token.text == ",":
                    self.advance()
                    continue
                if self.token.text != ")":
                    self.fail(", or )")
                break
        close = self.expect(")")
        return Call(name.start, close.end, name=name.text.upper(), args=args)

    def infix(self, left: Node, power: int) -> Node:
        token = self.advance()
        op = token.text
        if op == ".":
            if self.token.kind != "name":
                self.fail("name")
            part = self.advance()
            return Member(left.start, part.end, subject=left, name=part.text)
        if op in ("IN", "NOT"):
            negated = op == "NOT"
            if negated:
                self.expect("IN")
            self.expect("(")
            options = [self.expression(0)]
            while self.token.text == ",":
                self.advance()
                options.append(self.expression(0))
            close = self.expect(")")
            return In(left.start, close.end, subject=left, options=options, negated=negated)
        right = self.expression(power)
        op = {"==": "=", "<>": "!="}.get(op, op)
        return Binary(left.start, right.end, op=op, left=left, right=right)


def parse(text: str) -> Node:
    if not isinstance(text, str):
        kind = type(text).__name__
        raise ExprError("expr_syntax", 0, expected="text", expected_zh="文本", found=kind, found_zh=kind)
    node = Parser(text).parse()
    _check_depth(node)
    return node


def _check_depth(root: Node) -> None:
    """The tree, not only the text, must be shallow: `a + a + … + a` parses in a loop but makes a chain as
    deep as it is long, and every later stage (checker, both back ends, SQLAlchemy's compiler) recurses over it."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError("expr_too_deep", node.start, limit=MAX_DEPTH)
        stack.extend((child, depth + 1) for child in reversed(children(node)))  # first in reading order
