"""ROUND, ABS, FLOOR, CEILING, INT, MOD, POWER, SQRT: numbers, the way spreadsheets compute them.

Spreadsheets keep 15 significant digits, so binary noise never decides a rounding: ROUND(2.675, 2) is 2.68
(2.675 · 100 is 267.49999999999997 as a double) and FLOOR(0.3, 0.1) is 0.3 (0.3 / 0.1 is 2.9999999999999996).
These functions do the same, step for step alike in the three back ends, so they agree to the last bit:

- the number to round is scaled to whole units (|x| · 10^digits, a / significance) in double arithmetic;
- that double is taken at 15 significant digits — Python format(y, ".15g"), PostgreSQL CAST(y AS numeric)
  (which is "%.15g"), SQLite CAST(y AS TEXT) (which is "%!.15g") — and then rounded or floored;
- the whole result is scaled back by one correctly rounded double operation with the same power of ten.

Known corners, SQLite only: when a double's digits after the 15th are exactly "5" (a binary tie) SQLite may
round the 15th digit the other way; and FLOOR/CEILING with a significance that is neither whole nor one over a
whole number (0.3, say) read their 15-digit result back with SQLite's text-to-double conversion, which is now
and then one unit off in the last place. Both are far below anything shown or compared to a written number.

SQLite needs its math functions (ceil, power, sqrt, ln; built in since 3.35 in the usual builds) for FLOOR,
CEILING, INT, MOD, POWER and SQRT — not floor itself: SQLAlchemy replaces SQLite's floor with a Python one
that fails on NULL. Numbers are cast to double first (money is numeric on PostgreSQL and may be stored as an
integer on SQLite), because Python computes with floats.
"""
from __future__ import annotations

import math
from decimal import Decimal

from sqlalchemy import Float, Integer, Numeric, Text, case, cast, func, literal, null, or_, select, type_coerce
from sqlalchemy.sql.elements import (BinaryExpression, BindParameter, Cast, ColumnClause, Grouping, Label, Null,
                                       TypeCoerce, UnaryExpression)

from engines.expr.functions.base import Simple

MAX_DIGITS = 308  # ROUND's digits are clamped here: 10^308 is the largest power of ten a double holds
OVERFLOW_LOG = 709.0  # POWER is empty when |b · ln|a|| exceeds this (the result would overflow or underflow)
WHOLE = 4503599627370496.0  # 2^52: from here on every double is a whole number


# ---- Python ----------------------------------------------------------------------------------------------------
def fnum(value) -> float:
    return float(value)


def fifteen(x: float) -> Decimal:
    """x with 15 significant digits, as spreadsheets keep numbers."""
    return Decimal(format(x, ".15g"))


def whole(value, low: int, high: int) -> int:
    """A count or a number of digits: the fraction dropped (toward zero), kept within [low, high]."""
    return max(low, min(high, math.trunc(max(-1e18, min(1e18, float(value))))))


def round_half_away(x: float, digits: int) -> float:
    """x rounded half away from zero to `digits` decimals (−308…308), at 15 significant digits."""
    p = 10.0 ** abs(digits)
    y = abs(x) * p if digits >= 0 else abs(x) / p  # whole units
    if not y < 1e15:  # no digit left to round within the 15 (or infinite)
        return x
    n = float(math.floor(fifteen(y) + Decimal("0.5")))
    return math.copysign(n / p if digits >= 0 else n * p, x) + 0.0  # never -0.0


def multiple(n: float, s: float) -> float:
    """n · s, the way FLOOR and CEILING write it back: n / (1/s) when 1/s is whole (0.05, 0.1, 0.25: exact
    decimals), n · s when s is whole, else n · s at 15 significant digits."""
    k = 1.0 / s
    if math.isfinite(k) and k == math.floor(k) and k != 0:
        return n / k
    if s == math.floor(s):
        return n * s
    return float(format(n * s, ".15g"))


def floor15(q: float) -> float:
    """floor of q taken to 15 significant digits (0.3 / 0.1 → 3, not 2)."""
    return float(math.floor(fifteen(q)))


# ---- SQL helpers -----------------------------------------------------------------------------------------------
def num(column):
    """A number as a double: cast, unless it is a double already (a cast, a double column or parameter) —
    every CAST is one more level for SQLite's parser, whose stack is shallow."""
    if isinstance(column, (Cast, ColumnClause, BindParameter)) and type(column.type) is Float:
        return column
    return cast(column, Float)


def _simple(value) -> bool:
    """A value as cheap to write twice as once: a column, a parameter, NULL, or a cast of one."""
    while isinstance(value, (Cast, TypeCoerce, Label)):
        value = value.clause if isinstance(value, (Cast, TypeCoerce)) else value.element
    return isinstance(value, (ColumnClause, BindParameter, Null))


def let(body, *values):
    """body(*names) with each value computed once: (SELECT body FROM (SELECT value AS v0, …)).

    Without it a value used n times is written out n times, and nested functions multiply that. Columns and
    parameters are passed straight through (no subquery), so the common ROUND(amount, 2) stays plain SQL.
    Each subquery costs SQLite's parser some depth (its stack holds about eight nested FROM-subqueries), so
    functions bind their arguments once, at one level, and compute the rest inline."""
    if all(_simple(v) for v in values):
        return body(*values)
    bound = select(*[v.label(f"v{i}") for i, v in enumerate(values)]).correlate_except(None).subquery()
    names = [bound.c[f"v{i}"] for i in range(len(values))]
    # FROM the bound row only; whatever else the body reads is correlated with the select that holds it
    return select(body(*names)).select_from(bound).correlate_except(bound).scalar_subquery()


def cat(*parts):
    """Text joined with ||, whatever SQLAlchemy believes the parts' types are."""
    # SQLite's || binds tighter than any other operator: x * 2 || 'a' would read as x * (2 || 'a')
    texts = [literal(p, Text()) if isinstance(p, str)
             else type_coerce(Grouping(p) if isinstance(p, (BinaryExpression, UnaryExpression)) else p, Text)
             for p in parts]
    result = texts[0]
    for part in texts[1:]:
        result = result.concat(part)
    return result


def fifteen_sql(c, y):
    """The double y taken at 15 significant digits, as a double (NULL stays NULL). On SQLite the text read
    back may be a unit off in the last place, which never moves it across a whole number or a half."""
    if c.sqlite:
        return cast(cast(y, Text), Float)
    return cast(cast(y, Numeric), Float)


def floor_sql(c, x):
    """floor(x) as a double; x is written once."""
    return -func.ceil(-x) if c.sqlite else func.floor(x)


def floor15_sql(c, q):
    """floor(q) at 15 significant digits, as a double; q is written once."""
    if not c.sqlite:
        return cast(func.floor(cast(q, Numeric)), Float)
    return floor_sql(c, fifteen_sql(c, q))


def round_sql(c, x, digits: int | None = None, digits_column=None):
    """x rounded half away from zero at 15 significant digits, as round_half_away: to a literal number of
    digits, or to a computed one (an integer expression already clamped to ±MAX_DIGITS)."""
    if digits_column is not None:
        return let(lambda a, d: rounded(c, a, d=d), num(x), digits_column)
    return let(lambda a: rounded(c, a, digits), num(x))


def rounded(c, a, digits: int | None = None, d=None):
    """round_sql's body over a double `a` that may be written several times (a column or a bound name)."""
    if d is not None:
        p = cast(cat("1e", func.abs(d)), Float) if c.sqlite else func.power(10.0, func.abs(d))
        y = case((d >= 0, func.abs(a) * p), else_=func.abs(a) / p)
        n = floor_sql(c, fifteen_sql(c, y) + 0.5)
        back = case((d >= 0, n / p), else_=n * p)
        big = [((d >= 0) & (func.abs(a) > 1e300 / p), a)]
    else:
        p = literal(10.0 ** abs(digits), Float())
        y = func.abs(a) * p if digits >= 0 else func.abs(a) / p
        n = floor_sql(c, fifteen_sql(c, y) + 0.5)
        back = n / p if digits >= 0 else n * p
        big = [(func.abs(a) > 1e300 / p, a)] if digits >= 0 else []
    # PostgreSQL raises on a double overflow, so a too big |a| never reaches the multiplication
    return case(*big, (y >= 1e15, a), else_=back * func.sign(a) + 0.0)


def clamp_int(c, column, low: int, high: int):
    """A number as an integer: toward zero, kept within [low, high]; NULL stays NULL (PostgreSQL's least and
    greatest skip NULLs, SQLite's min and max do not)."""
    if c.sqlite:
        return cast(func.max(func.min(num(column), high), low), Integer)
    x = num(column)
    return case((x.is_(None), null()), else_=cast(func.trunc(func.greatest(func.least(x, high), low)), Integer))


def digits_sql(c, column):
    """ROUND's digits: toward zero, clamped to ±MAX_DIGITS, as an integer."""
    return clamp_int(c, column, -MAX_DIGITS, MAX_DIGITS)


# ---- functions -------------------------------------------------------------------------------------------------
class Round(Simple):
    key, category = "ROUND", "math"
    doc = (("四舍五入到指定小数位（默认 0 位；位数为负时取整到十位、百位…；小数位舍去）；按 15 位有效数字计算，"
            "所以 ROUND(2.675, 2) = 2.68"),
           ("rounded half away from zero to the given decimals (default 0; negative digits round to tens, "
            "hundreds…; a fraction of a digit is dropped); taken at 15 significant digits, so ROUND(2.675, 2) = 2.68"))
    signature = "ROUND(number, digits?) → number"
    params, result = ("number", "number?"), "number"

    def py(self, ctx, x, digits=0.0):
        return round_half_away(fnum(x), whole(digits, -MAX_DIGITS, MAX_DIGITS))

    def compile_sql(self, call, args, c):
        if len(args) == 1:
            return round_sql(c, args[0], 0)
        if type(call.args[1]).__name__ == "Literal":  # the usual ROUND(x, 2): the power of ten is a constant
            value = call.args[1].value
            return null() if value is None else round_sql(c, args[0], whole(value, -MAX_DIGITS, MAX_DIGITS))
        return round_sql(c, args[0], digits_column=digits_sql(c, args[1]))


class Abs(Simple):
    key, category = "ABS", "math"
    doc = ("绝对值", "the absolute value")
    signature = "ABS(number) → number"
    params, result = ("number",), "number"

    def py(self, ctx, x):
        return abs(fnum(x))

    def sql(self, c, x):
        return func.abs(num(x))


class Floor(Simple):
    key, category = "FLOOR", "math"
    doc = (("向下（朝负无穷）取到基数的整数倍（基数默认 1，正负号忽略；基数为 0 时为空）；按 15 位有效数字计算，"
            "所以 FLOOR(0.3, 0.1) = 0.3"),
           ("rounded down (toward negative infinity) to a multiple of the significance (default 1, its sign "
            "ignored; empty when it is 0); taken at 15 significant digits, so FLOOR(0.3, 0.1) = 0.3"))
    signature = "FLOOR(number, significance?) → number"
    params, result = ("number", "number?"), "number"
    up = False

    def py(self, ctx, x, significance=1.0):
        s = abs(fnum(significance))
        if s == 0 or not math.isfinite(s):
            return None
        q = fnum(x) / s
        if not math.isfinite(q):
            return None
        return multiple(-floor15(-q) if self.up else floor15(q), s)

    def sql(self, c, x, significance=None):
        def body(a, s):
            q = a / func.nullif(s, 0)
            n = -floor15_sql(c, -q) if self.up else floor15_sql(c, q)
            k = 1.0 / func.nullif(s, 0)
            return case((k == floor_sql(c, k), n / k), (s == floor_sql(c, s), n * s), else_=fifteen_sql(c, n * s))
        s = func.abs(num(significance)) if significance is not None else literal(1.0, Float())
        return let(body, num(x), s)


class Ceiling(Floor):
    key = "CEILING"
    doc = ("向上（朝正无穷）取到基数的整数倍（基数默认 1，正负号忽略；基数为 0 时为空）；按 15 位有效数字计算",
           ("rounded up (toward positive infinity) to a multiple of the significance (default 1, its sign "
            "ignored; empty when it is 0); taken at 15 significant digits"))
    signature = "CEILING(number, significance?) → number"
    up = True


class Int(Simple):
    key, category = "INT", "math"
    doc = ("不大于它的最大整数（INT(-2.5) = -3）", "the largest whole number not above it (INT(-2.5) = -3)")
    signature = "INT(number) → number"
    params, result = ("number",), "number"

    def py(self, ctx, x):
        return float(math.floor(fnum(x)))

    def sql(self, c, x):
        return floor_sql(c, num(x))


class Mod(Simple):
    key, category = "MOD", "math"
    doc = (("余数，符号与除数相同（MOD(-7, 3) = 2，MOD(7, -3) = -2）；除数为 0 时为空；商按 15 位有效数字取整，"
            "所以 MOD(1.15, 0.05) = 0"),
           ("the remainder, with the sign of the divisor (MOD(-7, 3) = 2, MOD(7, -3) = -2); empty when dividing "
            "by 0; the quotient is taken at 15 significant digits, so MOD(1.15, 0.05) = 0"))
    signature = "MOD(number, divisor) → number"
    params, result = ("number", "number"), "number"

    # a − b·floor(a/b) with the quotient at 15 digits; a remainder below 1e-14·|a| is what is left of that
    # rounding and counts as 0. Exact for whole numbers below 10^14.
    def py(self, ctx, a, b):
        a, b = fnum(a), fnum(b)
        if b == 0:
            return None
        r = a - b * floor15(a / b)
        return 0.0 if abs(r) < abs(a) * 1e-14 else r

    def sql(self, c, a, b):
        def body(a, b):
            r = a - b * floor15_sql(c, a / func.nullif(b, 0))
            return case((func.abs(r) < func.abs(a) * 1e-14, 0.0), else_=r)
        return let(body, num(a), num(b))


class Power(Simple):
    key, category = "POWER", "math"
    doc = ("乘方；0 的负数次方、负数的非整数次方、结果过大或过小时为空",
           ("a number raised to a power; empty for 0 to a negative power, a negative number to a fractional "
            "power, or a result too large or too small for a number"))
    signature = "POWER(number, power) → number"
    params, result = ("number", "number"), "number"

    def py(self, ctx, a, b):
        a, b = fnum(a), fnum(b)
        if (a == 0 and b < 0) or (a < 0 and b != math.floor(b)):
            return None
        if a != 0 and abs(b * math.log(abs(a))) > OVERFLOW_LOG:
            return None
        return math.pow(a, b)

    def sql(self, c, a, b):
        def body(a, b):
            whole_b = or_(func.abs(b) >= WHOLE, b == floor_sql(c, b))
            size = case((a == 0, 0.0), else_=func.abs(b * func.ln(func.abs(a))))  # no ln(0): PostgreSQL raises
            # PostgreSQL raises where SQLite gives NULL or infinity: hand it NULL instead
            safe = case(((a == 0) & (b < 0), null()), ((a < 0) & ~whole_b, null()), (size > OVERFLOW_LOG, null()),
                        else_=a)
            return func.power(safe, b)
        return let(body, num(a), num(b))


class Sqrt(Simple):
    key, category = "SQRT", "math"
    doc = ("平方根；负数时为空", "the square root; empty for a negative number")
    signature = "SQRT(number) → number"
    params, result = ("number",), "number"

    def py(self, ctx, x):
        x = fnum(x)
        return None if x < 0 else math.sqrt(x)

    def sql(self, c, x):
        if c.sqlite:  # SQLite's sqrt gives NULL for a negative number by itself
            return func.sqrt(num(x))
        return let(lambda x: func.sqrt(case((x < 0, null()), else_=x)), num(x))


FUNCTIONS = [Round(), Abs(), Floor(), Ceiling(), Int(), Mod(), Power(), Sqrt()]
