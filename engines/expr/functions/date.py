"""DATEADD, DATEDIF, DAYS_SINCE, YEAR, MONTH, DAY, WEEKDAY, EOMONTH, DATEVALUE, FORMAT_DATE: dates.

A date-time is a moment (stored in UTC); these functions take its date and time in the deployment's zone
(ctx.tz in Python, c.local in SQL), so YEAR(paid_at) is the year where the business is. Dates run from
0001-01-01 to 9999-12-31: a result outside that range is empty. Counts (n, months) drop their fraction.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, and_, case, cast, func, literal, not_, null, or_

from engines.expr.errors import ExprError
from engines.expr.functions.base import Simple
from engines.expr.functions.math import cat, clamp_int, let, num, whole
from engines.problems import MESSAGES

MESSAGES.update({
    "expr_arg_option": ("第 {column} 个字符：{name} 的第 {index} 个参数只能是 {allowed}",
                        "at character {column}: argument {index} of {name} must be one of {allowed}"),
})

DATES = "date|datetime"
MAX_SHIFT = 10_000_000  # DATEADD/EOMONTH counts are clamped here: any larger shift leaves the calendar anyway
LAST_DAY_INDEX = (date(9999, 12, 31) - date(1, 1, 1)).days  # days from 0001-01-01 to 9999-12-31
FIRST_MONTH, LAST_MONTH = 1 * 12, 9999 * 12 + 11  # year·12 + month − 1 of January 1 and December 9999


def option_error(call, index: int, allowed: str) -> ExprError:
    return ExprError("expr_arg_option", call.args[index].start, name=call.name, index=index + 1, allowed=allowed)


def literal_option(call, index: int, options: dict, allowed: str):
    """The value of a literal argument that must be one of `options` (text compared case-insensitively)."""
    value = call.args[index].value if index < len(call.args) else None
    key = value.lower() if isinstance(value, str) else value
    if key not in options:
        raise option_error(call, index, allowed)
    return options[key]


# ---- Python ----------------------------------------------------------------------------------------------------
def local_datetime(ctx, moment: datetime) -> datetime:
    """A stored (naive UTC) date-time as naive wall-clock time in the deployment's zone."""
    return moment.replace(tzinfo=timezone.utc).astimezone(ctx.tz).replace(tzinfo=None)


def utc_of(ctx, wall: datetime) -> datetime:
    return wall.replace(tzinfo=ctx.tz).astimezone(timezone.utc).replace(tzinfo=None)


def local_date(ctx, value) -> date:
    return local_datetime(ctx, value).date() if isinstance(value, datetime) else value


def add_months(day, months: int):
    """The same day `months` later (date or date-time), clamped to the month's end; None off the calendar."""
    index = day.year * 12 + day.month - 1 + months
    if not FIRST_MONTH <= index <= LAST_MONTH:
        return None
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def _shift(day, n: int, unit: str):
    if unit in ("month", "year"):
        return add_months(day, n * (12 if unit == "year" else 1))
    try:
        return day + timedelta(days=n * (7 if unit == "week" else 1))
    except OverflowError:
        return None


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


# ---- SQL -------------------------------------------------------------------------------------------------------
def kind_of(call, index: int) -> str:
    kind = call.args[index].type.kind
    return kind if kind in ("date", "datetime") else "date"


def local_date_sql(c, column, kind: str):
    """The date (in the deployment's zone) of a date or date-time column."""
    if kind != "datetime":
        return column
    return func.date(c.local(column)) if c.sqlite else cast(c.local(column), Date)


def day_index(day):
    """Days from 0001-01-01, for PostgreSQL's calendar guard. Not counted from date(1, 1, 1) itself: asyncpg
    sends date.min (and date.max) as -infinity (infinity)."""
    return day - literal(date(2000, 1, 1), Date()) + (date(2000, 1, 1) - date(1, 1, 1)).days


def part(c, day, name: str):
    """YEAR/MONTH/DAY/… of a date expression as an integer."""
    if c.sqlite:
        return cast(func.strftime({"year": "%Y", "month": "%m", "day": "%d", "dow": "%w"}[name], day), Integer)
    return cast(func.extract(name, day), Integer)


def month_index(c, day):
    return part(c, day, "year") * 12 + part(c, day, "month") - 1


def shift(count, unit: str):
    """A date modifier such as '-3 months' (SQLite); NULL for a NULL count (printf would read it as 0)."""
    return cat(count, " " + unit)  # || writes the integer as text itself


def count_sql(c, column):
    """A count of days or months: toward zero, as an integer. On SQLite a huge count saturates and the
    calendar guards make the result empty; PostgreSQL's integers must not overflow, so it is clamped."""
    return cast(num(column), Integer) if c.sqlite else clamp_int(c, column, -MAX_SHIFT, MAX_SHIFT)


def add_months_sql(c, day, months):
    """A date `months` later, clamped to the month's end; NULL off the calendar (years 1–9999)."""
    if c.sqlite:
        # SQLite lets Jan 31 + 1 month run on to Mar 3: when the day of the month changed, step back to the
        # end of the month before. Running on never crosses a year (December has 31 days), so the year of
        # the raw date tells whether the result is on the calendar (SQLite gives NULL after 9999).
        raw = func.date(day, shift(months, "months"))
        moved = case((func.strftime("%d", raw) == func.strftime("%d", day), raw),
                     else_=func.date(raw, "start of month", "-1 day"))
        return case((raw < "0001-01-01", null()), else_=moved)
    inside = month_index(c, day) + months
    # PostgreSQL clamps by itself; the guard comes first so no timestamp ever overflows
    return case((and_(inside >= FIRST_MONTH, inside <= LAST_MONTH), cast(day + func.make_interval(0, months), Date)),
                else_=null())


def add_days_sql(c, day, days):
    if c.sqlite:  # SQLite gives NULL after 9999-12-31 and year 0 or below before 0001-01-01
        raw = func.date(day, shift(days, "days"))
        return case((raw < "0001-01-01", null()), else_=raw)
    inside = day_index(day) + days
    return case((and_(inside >= 0, inside <= LAST_DAY_INDEX), day + days), else_=null())


# ---- functions -------------------------------------------------------------------------------------------------
UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
         "year": "year", "years": "year"}


class DateAdd(Simple):
    key, category = "DATEADD", "date"
    doc = (("日期（或日期时间）加上 n 个单位：'day'、'week'、'month'、'year'（n 可为负，小数舍去）；"
            "按月、年加时落在月末之后取月末（1 月 31 日加 1 个月为 2 月 28/29 日）；日期时间按部署时区的钟点计算"),
           ("the date (or date-time) n units later: 'day', 'week', 'month' or 'year' (n may be negative; its "
            "fraction is dropped); adding months or years clamps to the month's end (Jan 31 + 1 month = Feb 28/29); "
            "date-times move by the wall clock of the deployment's zone"))
    signature = "DATEADD(date, n, unit) → date"
    params, result, literal_args = (DATES, "number", "text"), "$1", (2,)

    def check(self, call, args):
        result = super().check(call, args)
        literal_option(call, 2, UNITS, "'day', 'week', 'month', 'year'")
        return result

    def compile_python(self, call, args):
        unit = literal_option(call, 2, UNITS, "")
        value, count = args[0], args[1]

        def run(env, ctx):
            moment, n = value(env, ctx), count(env, ctx)
            if moment is None or n is None:
                return None
            n = whole(n, -MAX_SHIFT, MAX_SHIFT)
            if not isinstance(moment, datetime):
                return _shift(moment, n, unit)
            wall = _shift(local_datetime(ctx, moment), n, unit)
            try:
                return None if wall is None else utc_of(ctx, wall)
            except (OverflowError, ValueError):
                return None
        return run

    def compile_sql(self, call, args, c):
        unit = literal_option(call, 2, UNITS, "")
        column, kind = args[0], kind_of(call, 0)
        n = count_sql(c, args[1])
        months = unit in ("month", "year")
        factor = 12 if unit == "year" else 7 if unit == "week" else 1
        amount = n * factor if factor != 1 else n
        if kind == "date":
            return add_months_sql(c, column, amount) if months else add_days_sql(c, column, amount)
        return let(lambda column, amount: self._moment(c, column, amount, months), column, amount)

    def _moment(self, c, column, amount, months: bool):
        day = local_date_sql(c, column, "datetime")
        moved = add_months_sql(c, day, amount) if months else add_days_sql(c, day, amount)
        if c.sqlite:  # the zone's offset is fixed on SQLite: move the stored moment by the local dates' distance
            days = cast(func.julianday(moved) - func.julianday(day), Integer)  # NULL off the calendar
            return cat(func.strftime("%Y-%m-%d %H:%M:%f", column, shift(days, "days")), "000")
        zone = c.ctx.tz.key if hasattr(c.ctx.tz, "key") else "UTC"
        interval = func.make_interval(0, amount) if months else func.make_interval(0, 0, 0, amount)
        wall = c.local(column) + interval
        return case((moved.is_(None), null()), else_=func.timezone("UTC", func.timezone(zone, wall)))


DIF_UNITS = {"day": "day", "d": "day", "month": "month", "m": "month", "year": "year", "y": "year"}


class DateDif(Simple):
    key, category = "DATEDIF", "date"
    doc = (("两个日期之间完整的天数、月数或年数（单位 'day'、'month'、'year'，也可写 'D'、'M'、'Y'）；"
            "结束早于开始时为空；日期时间取部署时区的日期"),
           ("whole days, months or years from start to end (unit 'day', 'month' or 'year', or Excel's 'D', 'M', "
            "'Y'); empty when end is before start; date-times count by their date in the deployment's zone"))
    signature = "DATEDIF(start, end, unit) → number"
    params, result, literal_args = (DATES, DATES, "text"), "number", (2,)

    def check(self, call, args):
        result = super().check(call, args)
        literal_option(call, 2, DIF_UNITS, "'day', 'month', 'year'")
        return result

    def compile_python(self, call, args):
        unit = literal_option(call, 2, DIF_UNITS, "")
        first, second = args[0], args[1]

        def run(env, ctx):
            start, end = first(env, ctx), second(env, ctx)
            if start is None or end is None:
                return None
            start, end = local_date(ctx, start), local_date(ctx, end)
            if end < start:
                return None
            if unit == "day":
                return float((end - start).days)
            months = _months_between(start, end)
            return float(months if unit == "month" else months // 12)
        return run

    def compile_sql(self, call, args, c):
        unit = literal_option(call, 2, DIF_UNITS, "")
        start = local_date_sql(c, args[0], kind_of(call, 0))
        end = local_date_sql(c, args[1], kind_of(call, 1))
        if unit == "day":
            count = func.julianday(end) - func.julianday(start) if c.sqlite else end - start
        else:
            count = (month_index(c, end) - month_index(c, start)
                     - case((part(c, end, "day") < part(c, start, "day"), 1), else_=0))
        # a negative count means the end is before the start (for months too): empty. nullif(max(n, −1), −1)
        # says so writing n once
        top = func.nullif(func.max(count, -1) if c.sqlite else func.greatest(count, -1), -1,
                          type_=Float if unit == "day" else Integer)
        return cast(top // 12 if unit == "year" else top, Float)  # whole months ≥ 0: // is exact


class DaysSince(Simple):
    key, category = "DAYS_SINCE", "date"
    doc = ("从该日期到今天（部署时区）的天数；日期在将来时为负数",
           "days from the date to today (in the deployment's zone); negative for a future date")
    signature = "DAYS_SINCE(date) → number"
    params, result = (DATES,), "number"

    def py(self, ctx, value):
        return float((ctx.now.astimezone(ctx.tz).date() - local_date(ctx, value)).days)

    def compile_sql(self, call, args, c):
        day = local_date_sql(c, args[0], kind_of(call, 0))
        if c.sqlite:
            return func.julianday(c.today()) - func.julianday(day)
        return cast(c.today() - day, Float)


class Year(Simple):
    key, category = "YEAR", "date"
    doc = ("年份（日期时间按部署时区）", "the year (of a date-time: in the deployment's zone)")
    signature = "YEAR(date) → number"
    params, result = (DATES,), "number"
    unit = "year"

    def py(self, ctx, value):
        return float(getattr(local_date(ctx, value), self.unit))

    def compile_sql(self, call, args, c):
        return cast(part(c, local_date_sql(c, args[0], kind_of(call, 0)), self.unit), Float)


class Month(Year):
    key = "MONTH"
    doc = ("月份 1–12（日期时间按部署时区）", "the month, 1–12 (of a date-time: in the deployment's zone)")
    signature = "MONTH(date) → number"
    unit = "month"


class Day(Year):
    key = "DAY"
    doc = ("日 1–31（日期时间按部署时区）", "the day of the month, 1–31 (of a date-time: in the deployment's zone)")
    signature = "DAY(date) → number"
    unit = "day"


WEEKDAY_MODES = {1.0: 1, 2.0: 2, 3.0: 3}


class Weekday(Simple):
    key, category = "WEEKDAY", "date"
    doc = (("星期几：默认星期一 = 1 … 星期日 = 7；mode 同 Excel：1 为星期日 = 1 … 星期六 = 7，2 为星期一 = 1 … 星期日 = 7，"
            "3 为星期一 = 0 … 星期日 = 6"),
           ("the day of the week: by default Monday = 1 … Sunday = 7; mode as in Excel: 1 gives Sunday = 1 … "
            "Saturday = 7, 2 gives Monday = 1 … Sunday = 7, 3 gives Monday = 0 … Sunday = 6"))
    signature = "WEEKDAY(date, mode?) → number"
    params, result, literal_args = (DATES, "number?"), "number", (1,)

    def check(self, call, args):
        result = super().check(call, args)
        if len(args) > 1:
            literal_option(call, 1, WEEKDAY_MODES, "1, 2, 3")
        return result

    def mode(self, call) -> int:
        return literal_option(call, 1, WEEKDAY_MODES, "") if len(call.args) > 1 else 2

    def compile_python(self, call, args):
        mode, value = self.mode(call), args[0]

        def run(env, ctx):
            day = value(env, ctx)
            if day is None:
                return None
            monday0 = local_date(ctx, day).weekday()  # Monday = 0
            return float((monday0 + 1) % 7 + 1 if mode == 1 else monday0 + 1 if mode == 2 else monday0)
        return run

    def compile_sql(self, call, args, c):
        mode = self.mode(call)
        sunday0 = part(c, local_date_sql(c, args[0], kind_of(call, 0)), "dow")  # Sunday = 0, written once
        return cast(sunday0 + 1 if mode == 1 else (sunday0 + 6) % 7 + (1 if mode == 2 else 0), Float)


class EoMonth(Simple):
    key, category = "EOMONTH", "date"
    doc = ("months 个月之后那个月的最后一天（0 为本月月底，-1 为上月月底）",
           "the last day of the month `months` later (0: this month's end, -1: last month's)")
    signature = "EOMONTH(date, months) → date"
    params, result = (DATES, "number"), "date"

    def py(self, ctx, value, months):
        first = add_months(local_date(ctx, value).replace(day=1), whole(months, -MAX_SHIFT, MAX_SHIFT))
        return None if first is None else first.replace(day=calendar.monthrange(first.year, first.month)[1])

    def compile_sql(self, call, args, c):
        day, months = local_date_sql(c, args[0], kind_of(call, 0)), count_sql(c, args[1])
        if c.sqlite:
            def end(first):  # December's end is written out: '+1 month' from 9999-12 leaves the calendar
                return case((first < "0001-01-01", null()),
                            (func.strftime("%m", first) == "12", func.strftime("%Y-12-31", first)),
                            else_=func.date(first, "+1 month", "-1 day"))
            return let(end, func.date(day, "start of month", shift(months, "months")))
        inside = month_index(c, day) + months
        first = day - (part(c, day, "day") - 1)
        end = cast(first + func.make_interval(0, months + 1) - func.make_interval(0, 0, 0, 1), Date)
        return case((and_(inside >= FIRST_MONTH, inside <= LAST_MONTH), end), else_=null())


_DATEVALUE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})")


class DateValue(Simple):
    key, category = "DATEVALUE", "date"
    doc = ("把 'YYYY-MM-DD' 或 'YYYY/M/D' 形式的文本转为日期；其他写法或不存在的日期为空",
           ("the date written as 'YYYY-MM-DD' or 'YYYY/M/D' (month and day with one or two digits); empty for "
            "any other text or a day that does not exist"))
    signature = "DATEVALUE(text) → date"
    params, result = ("text",), "date"

    def py(self, ctx, text):
        match = _DATEVALUE.fullmatch(text)
        if not match:
            return None
        try:
            return date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            return None

    def sql(self, c, text):
        return let(lambda text: self._parse(c, text), text)

    def _parse(self, c, text):
        year = func.substr(text, 1, 4)
        separator = func.substr(text, 5, 1)
        rest = func.substr(text, 6)
        if c.sqlite:
            d = "[0-9]"
            shapes = [text.op("GLOB")(f"{d * 4}{sep}{d * m}{sep}{d * n}")
                      for sep in "-/" for m in (1, 2) for n in (1, 2)]
            cut = func.instr(rest, separator)
            month, day = func.substr(rest, 1, cut - 1), func.substr(rest, cut + 1)
            normal = func.printf("%04d-%02d-%02d", year, month, day)
            valid = and_(cast(year, Integer) >= 1, func.date(normal, "+0 days") == normal)
            return case((or_(*shapes), case((valid, normal), else_=null())), else_=null())
        y = cast(year, Integer)
        month = cast(func.split_part(rest, separator, 1), Integer)
        day = cast(func.split_part(rest, separator, 2), Integer)
        first = func.make_date(y, month, 1)
        month_end = part(c, cast(first + func.make_interval(0, 1) - func.make_interval(0, 0, 0, 1), Date), "day")
        return case(
            (not_(text.op("~", return_type=Boolean)(r"^[0-9]{4}([-/])[0-9]{1,2}\1[0-9]{1,2}$")), null()),
            (y < 1, null()),
            (month < 1, null()), (month > 12, null()),
            (day < 1, null()), (day > month_end, null()),
            else_=func.make_date(y, month, day),
        )


# ---- FORMAT_DATE ---------------------------------------------------------------------------------------------
TOKENS = {"YYYY": ("%Y", "YYYY"), "MM": ("%m", "MM"), "DD": ("%d", "DD"), "HH": ("%H", "HH24"), "mm": ("%M", "MI"),
          "ss": ("%S", "SS")}
_TOKEN = re.compile("|".join(sorted(TOKENS, key=len, reverse=True)))


def date_tokens(fmt: str) -> list[tuple[bool, str]]:
    """[(is_token, text)]: YYYY MM DD HH mm ss are tokens (case matters: MM month, mm minute), the rest literal."""
    parts, position = [], 0
    for match in _TOKEN.finditer(fmt):
        if match.start() > position:
            parts.append((False, fmt[position:match.start()]))
        parts.append((True, match.group()))
        position = match.end()
    if position < len(fmt):
        parts.append((False, fmt[position:]))
    return parts


def date_format(call, index: int) -> list[tuple[bool, str]]:
    fmt = call.args[index].value
    if not isinstance(fmt, str) or not fmt:
        raise option_error(call, index, "a format such as 'YYYY-MM-DD HH:mm:ss' or 'YYYY年MM月DD日'")
    return date_tokens(fmt)


def format_py(ctx, value, tokens) -> str | None:
    if value is None:
        return None
    wall = local_datetime(ctx, value) if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    fields = {"YYYY": f"{wall.year:04d}", "MM": f"{wall.month:02d}", "DD": f"{wall.day:02d}",
              "HH": f"{wall.hour:02d}", "mm": f"{wall.minute:02d}", "ss": f"{wall.second:02d}"}
    return "".join(fields[text] if token else text for token, text in tokens)


def format_sql(c, column, kind: str, tokens):
    value = c.local(column) if kind == "datetime" else column
    if c.sqlite:
        pattern = "".join(TOKENS[text][0] if token else text.replace("%", "%%") for token, text in tokens)
        return func.strftime(pattern, value)
    quoted = lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    pattern = "".join(TOKENS[text][1] if token else quoted(text) for token, text in tokens)
    return func.to_char(cast(value, DateTime) if kind != "datetime" else value, pattern)


class FormatDate(Simple):
    key, category = "FORMAT_DATE", "date"
    doc = (("按格式写出日期：YYYY 年、MM 月、DD 日、HH 时（24 小时）、mm 分、ss 秒（均补零，区分大小写），其余字符原样保留；"
            "日期时间按部署时区"),
           ("the date written in a format: YYYY year, MM month, DD day, HH hour (24-hour), mm minute, ss second "
            "(zero-padded; case matters), every other character as is; date-times in the deployment's zone"))
    signature = "FORMAT_DATE(date, format) → text"
    params, result, literal_args = (DATES, "text"), "text", (1,)

    def check(self, call, args):
        result = super().check(call, args)
        date_format(call, 1)
        return result

    def compile_python(self, call, args):
        tokens, value = date_tokens(call.args[1].value), args[0]
        return lambda env, ctx: format_py(ctx, value(env, ctx), tokens)

    def compile_sql(self, call, args, c):
        return format_sql(c, args[0], kind_of(call, 0), date_tokens(call.args[1].value))


FUNCTIONS = [DateAdd(), DateDif(), DaysSince(), Year(), Month(), Day(), Weekday(), EoMonth(), DateValue(),
             FormatDate()]
