"""Shared table machinery for the field-type tests: build a definition, coerce a value, compare with the expectation.

Case tables are tuples (type, definition props, input, expected). `expected` is the stored value, an `Err`
(a FieldError code and, optionally, its params) or a `Rows` (sub-table row problems by JSON pointer).
test_all_types.py reads every module's CASES to check that each registered type has cases.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engines.form.fields import FIELD_MODELS, field_type
from engines.form.fields.base import Context, FieldError
from engines.problems import ProblemsError

UTC = Context(tz=timezone.utc)
SHANGHAI = Context(tz=ZoneInfo("Asia/Shanghai"))


@dataclass(frozen=True)
class Err:
    code: str
    params: dict[str, Any] | None = None  # None: params are not checked


@dataclass(frozen=True)
class Rows:
    """Problems a sub-table reports: (path, code) pairs in order."""
    problems: list[tuple[str, str]] = field(default_factory=list)


def make(kind: str, **props: Any):
    """A parsed field definition of `kind`, through the same model the builder uses."""
    return FIELD_MODELS[kind].model_validate({"key": "f", "type": kind, **props})


def check(kind: str, props: dict, value: Any, expected: Any, ctx: Context = UTC) -> None:
    f = make(kind, **props)
    ftype = field_type(kind)
    if isinstance(expected, Err):
        try:
            got = ftype.coerce(f, value, ctx)
        except FieldError as e:
            assert e.code == expected.code, f"{value!r}: got error {e.code} {e.params}"
            if expected.params is not None:
                assert e.params == expected.params
            return
        raise AssertionError(f"{value!r} should fail with {expected.code}, got {got!r}")
    if isinstance(expected, Rows):
        try:
            got = ftype.coerce(f, value, ctx)
        except ProblemsError as e:
            assert [(p.path, p.code) for p in e.problems] == expected.problems
            return
        raise AssertionError(f"{value!r} should fail with {expected.problems}, got {got!r}")
    got = ftype.coerce(f, value, ctx)
    assert got == expected and type(got) is type(expected), f"{value!r} → {got!r}, expected {expected!r}"
    if isinstance(expected, Decimal):  # exactly two places for money: 10 → 10.00
        assert str(got) == str(expected)


def params(cases: list[tuple]) -> list:
    """Cases as pytest params with short readable ids."""
    out = []
    for kind, props, value, expected in cases:
        text = f"{kind}-{props or ''}-{value!r}"
        out.append(pytest.param(kind, props, value, expected, id=text if len(text) < 70 else text[:67] + "..."))
    return out
