"""The typed syntax tree of an expression. Every node keeps its place in the text (start, end)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Node:
    start: int
    end: int
    type: Any = field(default=None, init=False, compare=False)  # set by the type checker


@dataclass(eq=False)
class Literal(Node):
    value: Any = None  # float, str, bool or None


@dataclass(eq=False)
class Name(Node):
    path: tuple[str, ...] = ()  # ("amount",), ("customer", "leader", "name"), ("lines", "qty")


@dataclass(eq=False)
class Unary(Node):
    op: str = ""  # "-" or "NOT"
    operand: Node | None = None


@dataclass(eq=False)
class Binary(Node):
    op: str = ""  # + - * / & = != < <= > >= AND OR
    left: Node | None = None
    right: Node | None = None


@dataclass(eq=False)
class In(Node):
    subject: Node | None = None
    options: list[Node] = field(default_factory=list)
    negated: bool = False


@dataclass(eq=False)
class Call(Node):
    name: str = ""  # upper-case function name
    args: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class Member(Node):
    """`DECIDE(...).rate`: a named part of a value that has parts."""
    subject: Node | None = None
    name: str = ""


def walk(node: Node):
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> list[Node]:
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, In):
        return [node.subject, *node.options]
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, Member):
        return [node.subject]
    return []


def reads_fields(node: Node) -> bool:
    """Whether the value depends on the record (a field name anywhere inside); memoised on the node."""
    known = node.__dict__.get("_reads")
    if known is None:
        known = isinstance(node, Name) or any(reads_fields(child) for child in children(node))
        node._reads = known
    return known
