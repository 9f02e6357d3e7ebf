"""CONCAT, LEN, LEFT, RIGHT, MID, FIND, CONTAINS, UPPER, LOWER, TRIM, SUBSTITUTE, TEXT: text.

Text arguments take any single value (a number, a date, a checkbox…) and use it as text; lists are refused.
Values become text as spreadsheets show them:
- numbers with up to 15 significant digits in plain notation (1/3 → "0.333333333333333", 0.1 + 0.2 → "0.3",
  1e20 → "100000000000000000000"), as Excel's General format — identical in Python, SQLite and PostgreSQL;
- dates as YYYY-MM-DD, date-times as YYYY-MM-DD HH:MM:SS in the deployment's zone, checkboxes as TRUE/FALSE.
An empty argument gives an empty result, except where a function says otherwise (CONCAT and LEN read empty
as "", CONTAINS is never empty). Text is compared case-sensitively, character by character.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, Float, Integer, Numeric, Text, case, cast, exists, false, func, literal,
                        null, select)

from engines.expr.errors import ExprError
from engines.expr.functions import date as dates
from engines.expr.functions.base import Simple
from engines.expr.functions.math import cat, clamp_int, fifteen, fifteen_sql, floor_sql, fnum, let, num, whole
from engines.expr.python import text_of
from engines.expr.types import T

TEXTISH = "text|number|date|datetime|bool|ref"  # what a text argument accepts
MAX_COUNT = 1_000_000_000  # LEFT/RIGHT/MID counts are clamped here (no text is longer)
_LOWER, _UPPER = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TO_UPPER, _TO_LOWER = str.maketrans(_LOWER, _UPPER), str.maketrans(_UPPER, _LOWER)
# TRIM collapses runs of spaces by the same replace() chain in all three back ends, so they agree exactly
_MARK_A, _MARK_B = "\x01", "\x02"
NUMBER_FORMAT = re.compile(r"(#,##)?0(?:\.(0{1,10}))?(%)?")


# ---- values as text ---------------------------------------------------------------------------------------------
def number_text(x) -> str:
    """A number as text: 15 significant digits, plain notation, no trailing zeros."""
    x = fnum(x)
    if x == 0:
        return "0"
    body = format(fifteen(abs(x)), "f")
    return "-" + body if x < 0 else body


def value_text(ctx, value, kind: str) -> str | None:
    """Python: a value of the given kind as text; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if kind in ("number", "ref") or isinstance(value, (int, float, Decimal)):
        return number_text(value)
    if isinstance(value, datetime):
        return dates.local_datetime(ctx, value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else text_of(value)


def number_text_sql(c, x):
    if not c.sqlite:  # the double's 15-digit numeric prints in plain notation
        return cast(cast(num(x), Numeric), Text)
    # SQLite writes a double with 15 significant digits ('%!.15g': 3.0, 2.675, 1.0e+20, 1.0e-05)
    return let(_plain, num(x), cast(num(x), Text))


def _plain(a, text):
    """SQLite's 15-digit text of a double ('%!.15g': 3.0, -2.675, 1.5e+20, 1.0e-05) in plain notation; kept
    shallow, as SQLite's parser allows little nesting."""
    e = func.instr(text, "e")
    negative = cast(a < 0, Integer)
    digits = func.replace(func.substr(text, 1 + negative, e - 1 - negative), ".", "")  # '15' of '-1.5e+20'
    exponent = cast(func.substr(text, e + 1), Integer)
    return case(
        (a.is_(None), null()),
        (a == 0, "0"),
        (e == 0, case((text.like("%.0"), func.substr(text, 1, func.length(text) - 2)), else_=text)),
        # 1e15 and up: the digits, then zeros up to the point
        (exponent > 0,
         func.replace(func.printf("%s%-*s", func.substr("-", 1, negative), exponent + 1, digits), " ", "0")),
        # below 1e-4: '0.', zeros, the digits (without the trailing zero of '1.0e-05')
        else_=func.rtrim(func.printf("%s0.%0*d%s", func.substr("-", 1, negative), -exponent - 1, 0, digits), "0"),
    )


def text_sql(c, column, kind: str):
    """SQL: a value of the given kind as text; NULL stays NULL."""
    if kind == "text":
        return column
    if kind in ("number", "ref"):
        return number_text_sql(c, column)
    if kind in ("date", "datetime", "bool"):
        return case((column.is_(None), null()), else_=c.text(column, kind))
    return cast(column, Text)


class TextFunction(Simple):
    """A function whose text arguments are converted from other kinds first (Python and SQL alike)."""

    category = "text"
    text_args: tuple[int, ...] | None = (0,)  # positions read as text; None: all

    def is_text(self, i: int) -> bool:
        return self.text_args is None or i in self.text_args

    def compile_python(self, call, args):
        kinds = [a.type.kind for a in call.args]
        impl, nulls = self.py, self.nulls
        texts = [self.is_text(i) for i in range(len(args))]

        def run(env, ctx):
            values = [arg(env, ctx) for arg in args]
            if not nulls and None in values:
                return None
            values = [value_text(ctx, v, kinds[i]) if texts[i] else v for i, v in enumerate(values)]
            return impl(ctx, *values)
        return run

    def compile_sql(self, call, args, c):
        columns = [text_sql(c, a, call.args[i].type.kind) if self.is_text(i) else a for i, a in enumerate(args)]
        result = self.sql(c, *columns)
        if self.nulls:
            return result
        # an empty text gives NULL through every SQL function used here; an empty count may not (PostgreSQL's
        # greatest(NULL, 1) is 1), so counts are tested — mostly literals or fields, cheap to write twice
        counts = [a for i, a in enumerate(args) if not self.is_text(i)]
        return case(*[(a.is_(None), null()) for a in counts], else_=result) if counts else result


def count_sql(c, column, low: int = 0):
    """A character count: toward zero, clamped to [low, MAX_COUNT], as an integer."""
    return clamp_int(c, column, low, MAX_COUNT)


# ---- functions -------------------------------------------------------------------------------------------------
class Concat(TextFunction):
    key = "CONCAT"
    doc = ("把各个值连成文本（空值当作空文本）", "the values joined into one text (empty values count as \"\")")
    signature = "CONCAT(value, …) → text"
    params, result, nulls = ("*" + TEXTISH,), "text", True

    text_args = None

    def check(self, call, args):
        if not args:
            raise ExprError("expr_arg_count", call.start, name=self.key, expected="1+", got=0)
        return super().check(call, args)

    def py(self, ctx, *values):
        return "".join(v or "" for v in values)

    def sql(self, c, *columns):
        return cat(*[func.coalesce(column, "") for column in columns])


class Len(TextFunction):
    key = "LEN"
    doc = ("文本的字符数（空值为 0）", "the number of characters (0 when empty)")
    signature = "LEN(text) → number"
    params, result, nulls = (TEXTISH,), "number", True

    def py(self, ctx, text):
        return float(len(text or ""))

    def sql(self, c, text):
        return cast(func.length(func.coalesce(text, "")), Float)


class Left(TextFunction):
    key = "LEFT"
    doc = ("开头的若干个字符（默认 1 个；小数舍去，负数当 0）",
           "the first n characters (default 1; the fraction dropped, negative as 0)")
    signature = "LEFT(text, n?) → text"
    params, result = (TEXTISH, "number?"), "text"

    def py(self, ctx, text, n=1.0):
        return text[: whole(n, 0, MAX_COUNT)]

    def sql(self, c, text, n=None):
        return func.substr(text, 1, count_sql(c, n) if n is not None else 1)


class Right(TextFunction):
    key = "RIGHT"
    doc = ("末尾的若干个字符（默认 1 个；小数舍去，负数当 0）",
           "the last n characters (default 1; the fraction dropped, negative as 0)")
    signature = "RIGHT(text, n?) → text"
    params, result = (TEXTISH, "number?"), "text"

    def py(self, ctx, text, n=1.0):
        k = whole(n, 0, MAX_COUNT)
        return text[max(len(text) - k, 0):] if k else ""

    def sql(self, c, text, n=None):
        k = count_sql(c, n) if n is not None else literal(1, Integer())
        start = func.length(text) - k + 1
        return func.substr(text, func.max(start, 1) if c.sqlite else func.greatest(start, 1))


class Mid(TextFunction):
    key = "MID"
    doc = ("从第 start 个字符起取 n 个字符（start 小于 1 当 1，n 为负当 0）",
           "n characters from position start (1 = the first; start below 1 counts as 1, negative n as 0)")
    signature = "MID(text, start, n) → text"
    params, result = (TEXTISH, "number", "number"), "text"

    def py(self, ctx, text, start, n):
        first = whole(start, 1, MAX_COUNT) - 1
        return text[first: first + whole(n, 0, MAX_COUNT)]

    def sql(self, c, text, start, n):
        return func.substr(text, count_sql(c, start, 1), count_sql(c, n))


class Find(TextFunction):
    key = "FIND"
    doc = ("part 在文本中第一次出现的位置（从 1 起，区分大小写）；找不到为 0",
           "where part first occurs in the text (1 = the first character, case-sensitive); 0 when absent")
    signature = "FIND(part, text) → number"
    params, result = (TEXTISH, TEXTISH), "number"
    text_args = (0, 1)

    def py(self, ctx, part, text):
        return float(text.find(part) + 1)

    def sql(self, c, part, text):
        return cast(func.instr(text, part) if c.sqlite else func.strpos(text, part), Float)


class Contains(TextFunction):
    key = "CONTAINS"
    doc = ("文本中含有 part（区分大小写；空的 part 总是含有），或列表（标签、多选）中有该项；从不为空",
           ("the text holds part (case-sensitive; an empty part is always held), or the list (tags, multi-select) "
            "holds the item; never empty"))
    signature = "CONTAINS(text | list, part) → bool"
    params, result, nulls = (TEXTISH, TEXTISH), "bool", True
    text_args = (0, 1)

    def check(self, call, args):
        if len(args) == 2 and args[0].kind == "list":
            if args[1].kind not in ("text", "null", "any"):
                from engines.expr.types import type_args

                raise ExprError("expr_arg_type", call.args[1].start, name=self.key, index=2,
                                **type_args("text", args[1]))
            return T("bool")
        return super().check(call, args)

    def compile_python(self, call, args):
        if call.args[0].type.kind != "list":
            return super().compile_python(call, args)
        items, part = args

        def holds(env, ctx):
            item = part(env, ctx)
            return item is not None and item in (items(env, ctx) or [])
        return holds

    def compile_sql(self, call, args, c):
        if call.args[0].type.kind != "list":
            return super().compile_sql(call, args, c)
        items, part = args
        if c.sqlite:
            each = func.json_each(items).table_valued("value")
            return exists(select(1).select_from(each).where(each.c.value == part).correlate_except(each))
        return func.coalesce(items.op("@>")(func.jsonb_build_array(part)), false(), type_=Boolean)

    def py(self, ctx, text, part):
        return (part or "") in (text or "")

    def sql(self, c, text, part):
        text, part = func.coalesce(text, ""), func.coalesce(part, "")
        return (func.instr(text, part) if c.sqlite else func.strpos(text, part)) > 0


class Upper(TextFunction):
    key = "UPPER"
    doc = ("英文字母转大写（a–z；其他文字不变）", "English letters in upper case (a–z; other characters unchanged)")
    signature = "UPPER(text) → text"
    params, result = (TEXTISH,), "text"

    def py(self, ctx, text):
        return text.translate(_TO_UPPER)

    def sql(self, c, text):  # SQLite's upper() changes ASCII letters only
        return func.upper(text) if c.sqlite else func.translate(text, _LOWER, _UPPER)


class Lower(TextFunction):
    key = "LOWER"
    doc = ("英文字母转小写（A–Z；其他文字不变）", "English letters in lower case (A–Z; other characters unchanged)")
    signature = "LOWER(text) → text"
    params, result = (TEXTISH,), "text"

    def py(self, ctx, text):
        return text.translate(_TO_LOWER)

    def sql(self, c, text):
        return func.lower(text) if c.sqlite else func.translate(text, _UPPER, _LOWER)


class Trim(TextFunction):
    key = "TRIM"
    doc = ("去掉首尾空格，并把中间连续的空格并成一个（同 Excel；只处理半角空格）",
           "leading and trailing spaces removed and inner runs of spaces made one (as Excel; the ASCII space only)")
    signature = "TRIM(text) → text"
    params, result = (TEXTISH,), "text"

    def py(self, ctx, text):
        return (text.replace(" ", _MARK_A + _MARK_B).replace(_MARK_B + _MARK_A, "")
                .replace(_MARK_A + _MARK_B, " ").strip(" "))

    def sql(self, c, text):
        collapsed = func.replace(func.replace(func.replace(text, " ", _MARK_A + _MARK_B), _MARK_B + _MARK_A, ""),
                                 _MARK_A + _MARK_B, " ")
        return func.trim(collapsed, " ") if c.sqlite else func.btrim(collapsed, " ")


class Substitute(TextFunction):
    key = "SUBSTITUTE"
    doc = ("把文本中所有的 old 换成 new（old 为空时不变，new 为空时删除）",
           "every occurrence of old replaced by new (unchanged when old is empty; removed when new is empty)")
    signature = "SUBSTITUTE(text, old, new) → text"
    params, result, nulls = (TEXTISH, TEXTISH, TEXTISH), "text", True
    text_args = (0, 1, 2)

    def py(self, ctx, text, old, new):
        if text is None:
            return None
        return text.replace(old, new or "") if old else text

    def sql(self, c, text, old, new):
        return func.replace(text, func.coalesce(old, ""), func.coalesce(new, ""))


class TextOf(TextFunction):
    key = "TEXT"
    doc = (("值转为文本；数字可给格式 \"0\"、\"0.00\"（小数位 1–10 个 0）、\"#,##0.00\"（千分位）、\"0.0%\"（百分比），"
            "按 ROUND 的方式四舍五入，需要超过 15 位数字时为空；日期可给 FORMAT_DATE 的格式"),
           ("the value as text; a number may take a format \"0\", \"0.00\" (1–10 zeros after the point), \"#,##0.00\" "
            "(thousands separators) or \"0.0%\" (percent), rounded half away from zero as ROUND does, empty when it "
            "would need more than 15 digits; a date or date-time may take a FORMAT_DATE format"))
    signature = "TEXT(value, format?) → text"
    params, result, literal_args = (TEXTISH, "text?"), "text", (1,)
    text_args = ()

    def check(self, call, args):
        result = super().check(call, args)
        if len(args) > 1:
            kind = args[0].kind
            if kind not in ("number", "ref", "date", "datetime", "null", "any"):
                raise dates.option_error(call, 1, "nothing: only numbers and dates take a format")
            if _format_kind(call) == "number":
                if not NUMBER_FORMAT.fullmatch(call.args[1].value or ""):
                    raise dates.option_error(call, 1, '"0", "0.00", "#,##0.00", "0%", "0.0%"…')
            else:
                dates.date_format(call, 1)
        return result

    def compile_python(self, call, args):
        kind = call.args[0].type.kind
        value = args[0]
        if len(args) == 1:
            return lambda env, ctx: value_text(ctx, value(env, ctx), kind)
        fmt = call.args[1].value
        if _format_kind(call) == "date":
            tokens = dates.date_tokens(fmt)
            return lambda env, ctx: dates.format_py(ctx, value(env, ctx), tokens)
        group, places, percent = _number_format(fmt)

        def formatted(env, ctx):
            x = value(env, ctx)
            return None if x is None else format_number(fnum(x), group, places, percent)
        return formatted

    def compile_sql(self, call, args, c):
        kind = call.args[0].type.kind
        if len(args) == 1:
            return text_sql(c, args[0], kind)
        fmt = call.args[1].value
        if _format_kind(call) == "date":
            return dates.format_sql(c, args[0], kind, dates.date_tokens(fmt))
        return format_number_sql(c, args[0], *_number_format(fmt))


def _format_kind(call) -> str:
    """Which formats TEXT's second argument holds: "number" for numbers, "date" for dates and date-times; for
    an empty or untyped value, whichever the format looks like."""
    kind, fmt = call.args[0].type.kind, call.args[1].value
    if kind in ("number", "ref"):
        return "number"
    if kind in ("date", "datetime"):
        return "date"
    return "number" if isinstance(fmt, str) and NUMBER_FORMAT.fullmatch(fmt) else "date"


def _number_format(fmt: str) -> tuple[bool, int, bool]:
    match = NUMBER_FORMAT.fullmatch(fmt)
    return bool(match.group(1)), len(match.group(2) or ""), bool(match.group(3))


def format_number(x: float, group: bool, places: int, percent: bool) -> str | None:
    """x (· 100 for a percent) rounded half away from zero to `places` decimals as ROUND does, written from the
    whole number of 10^-places units; None when that needs more than 15 digits."""
    v = x * 100 if percent else x
    y = abs(v) * 10.0 ** places
    if not y < 1e15:
        return None
    units = math.floor(fifteen(y) + Decimal("0.5"))
    whole_part, fraction = divmod(units, 10 ** places)
    body = f"{whole_part:,}" if group else str(whole_part)
    if places:
        body += "." + str(fraction).zfill(places)
    return ("-" if v < 0 and units else "") + body + ("%" if percent else "")


def format_number_sql(c, x, group: bool, places: int, percent: bool):
    """format_number in SQL: the units are computed as in ROUND, then cut with integer arithmetic, so no
    double is ever printed (SQLite's printf is not exact beyond 15 digits)."""
    scale = 10 ** places

    def write(a):
        y = func.abs(a) * literal(float(scale), Float())
        units = cast(floor_sql(c, fifteen_sql(c, y) + 0.5), BigInteger)
        if c.sqlite:
            whole_part = func.printf("%,d" if group else "%d", units // scale)
            fraction = func.printf(f"%0{places}d", units % scale) if places else None
        else:
            whole_part = func.to_char(units // scale, "FM999,999,999,999,990" if group else "FM999999999999990")
            fraction = func.lpad(cast(units % scale, Text), places, "0") if places else None
        sign = case(((a < 0) & (units > 0), "-"), else_="")
        parts = [sign, whole_part] + ([".", fraction] if places else []) + (["%"] if percent else [])
        return case((a.is_(None), null()), (y >= 1e15, null()), else_=cat(*parts))  # printf reads NULL as 0
    return let(write, num(x) * 100.0 if percent else num(x))


FUNCTIONS = [Concat(), Len(), Left(), Right(), Mid(), Find(), Contains(), Upper(), Lower(), Trim(), Substitute(),
             TextOf()]
