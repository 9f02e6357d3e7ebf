"""Filters print templates use: money (¥1,234.50), date, datetime and cn_upper (人民币大写)."""
from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")  # inside a group of four digits
_GROUPS = ("", "万", "亿", "万亿")  # one per group of four digits
CN_UPPER_LIMIT = Decimal("1e16")


def to_decimal(value: Any) -> Decimal | None:
    """A number, or a number as printed ('1,234.50', '¥12', '15%'); None when there is none."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace(",", "").replace("，", "").lstrip("¥￥").rstrip("%")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def money(value: Any, symbol: str = "¥", decimals: int = 2) -> str:
    """1234.5 → '¥1,234.50'; empty stays empty."""
    number = to_decimal(value)
    if number is None:
        return ""
    decimals = max(0, min(int(decimals), 6))
    number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    return f"{sign}{symbol}{abs(number):,.{decimals}f}"


def _moment(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def make_date_filters(tz: tzinfo | None) -> dict[str, Callable]:
    """date and datetime filters that show aware moments in the deployment's time zone."""

    def local(moment: date) -> date:
        if isinstance(moment, datetime) and moment.tzinfo is not None and tz is not None:
            return moment.astimezone(tz)
        return moment

    def date_filter(value: Any, format: str = "%Y-%m-%d") -> str:
        moment = _moment(value)
        return "" if moment is None else local(moment).strftime(format)

    def datetime_filter(value: Any, format: str = "%Y-%m-%d %H:%M") -> str:
        moment = _moment(value)
        return "" if moment is None else local(moment).strftime(format)

    return {"date": date_filter, "datetime": datetime_filter}


def _group_upper(number: int) -> str:
    """0 < number < 10000 → '壹仟零贰拾'; zeros inside collapse to one 零, trailing zeros vanish."""
    text, pending_zero = "", False
    for place in (3, 2, 1, 0):
        digit = number // 10**place % 10
        if digit == 0:
            pending_zero = pending_zero or bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += _DIGITS[digit] + _PLACES[place]
    return text


def _integer_upper(number: int) -> str:
    if number == 0:
        return "零"
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):  # 壹亿零伍万, 壹万零伍
            text += "零"
        text += _group_upper(group) + _GROUPS[index]
        gap = False
    return text


def cn_upper(value: Any) -> str:
    """An amount in Chinese capital numerals as written on receipts and cheques: 1234.5 → 壹仟贰佰叁拾肆元伍角整."""
    number = to_decimal(value)
    if number is None:
        return ""
    number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(number) >= CN_UPPER_LIMIT:
        raise ValueError("cn_upper: amount too large")
    sign = "负" if number < 0 else ""
    cents = int(abs(number) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    text = _integer_upper(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text
