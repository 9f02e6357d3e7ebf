"""Record validation compiled once per published form version: the reference's answers, several times faster.

A form's fields become one generated Python function (see `CompiledValidator.source`). Per field it reads the
value once and tries a fast path: an inline check of the exact Python type a JSON client sends
(`type(v) is str`, `type(v) is int`…) against the definition's limits, held as constants. Anything the fast path
does not accept — an error, a spreadsheet spelling, an unusual type — goes through the field type's own
`coerce` by the very steps of the reference (engines.form.record._check_record_reference), so problems and odd
inputs get exactly the reference's answer. A fast path only ever accepts what `coerce` would accept unchanged
and never produces a problem; a type without one (any type added later) always takes the full route.

Definitions are immutable per published version, so the validator is cached by the identity of the field list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from engines._registry import Registry
from engines.form.fields import field_type
from engines.form.fields.base import SYSTEM_FIELDS, FieldError, FieldType
from engines.form.fields.choice import Checkbox, MultiSelect, Select
from engines.form.fields.contact import _EMAIL, _MOBILE, Email, Phone
from engines.form.fields.dates import Date, DateTime
from engines.form.fields.number import Money, Number, Percent
from engines.form.fields.relation import Relation
from engines.form.fields.tags import Tags
from engines.form.fields.text import LongText, Text, matches
from engines.problems import Problem, ProblemsError, pointer

SLOW = object()  # a fast helper's "not mine": the type's own coerce decides
_MISSING = object()
CACHE_SIZE = 512  # field lists kept compiled; the oldest is dropped beyond that

# A fast path turns one definition into two Python expressions over the input `v` (and `ctx`): a test, true only
# when `coerce` would accept `v` as it is, and the stored value for that case. `const(x)` names a value for them.
Const = Callable[[Any], str]
Build = Callable[[Any, FieldType, Const], "tuple[str, str] | None"]


@dataclass(frozen=True)
class FastPath:
    key: str  # the field type's key
    mirrors: Callable  # the coerce it mirrors: a type whose coerce is another function gets no fast path
    build: Build


FAST_PATHS: Registry[FastPath] = Registry("fast path")


def fast_path(key: str, mirrors: Callable) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        FAST_PATHS.register(FastPath(key, mirrors, build))
        return build
    return register


def _helper(const: Const, fn: Callable, *args: str) -> tuple[str, str]:
    """A fast path written as a function returning the stored value or SLOW."""
    call = f"{const(fn)}({', '.join(('v',) + args)})"
    return f"(r := {call}) is not SLOW", "r"


def _finite(*bounds) -> bool:
    return all(b is None or math.isfinite(b) for b in bounds)


@fast_path("text", Text.coerce)
@fast_path("long_text", LongText.coerce)
def _text(f, ftype, const):
    shortest = max(f.min_length or 0, 1)  # a blank text is "no value", never the fast path's
    test = f"type(v) is str and {const(shortest)} <= len(v) <= {const(f.max_length or ftype.default_max)} " \
           "and not v.isspace()"
    if f.pattern:
        test += f" and {const(matches)}({const(f.pattern)}, v)"
    return test, "v"


@fast_path("number", Number.coerce)
@fast_path("percent", Percent.coerce)
def _number(f, ftype, const):
    if not _finite(f.min, f.max):
        return None
    if f.decimals is None:
        test = f"(type(v) is float or type(v) is int) and -1e300 < v < 1e300"
    else:
        # Whole numbers need no rounding; below 1e15 comparing with the float bounds gives what the
        # reference's Decimal(str(bound)) gives (no integer lies between a float and its shortest repr there).
        test = "type(v) is int and -1e15 < v < 1e15"
    if f.min is not None:
        test += f" and v >= {const(f.min)}"
    if f.max is not None:
        test += f" and v <= {const(f.max)}"
    return test, "float(v)"


_CENT = Decimal("0.01")


@fast_path("money", Money.coerce)
def _money(f, ftype, const):
    if not _finite(f.min, f.max):
        return None
    low = None if f.min is None else Decimal(str(f.min))
    high = None if f.max is None else Decimal(str(f.max))

    def money(v):
        kind = type(v)
        # Below 1e16 a float's repr is exact enough that the reference's checks before and after rounding agree.
        if (kind is float or kind is int) and -1e16 < v < 1e16:
            text = str(v)
            places = len(text) - 1 - text.find(".") if "." in text and "e" not in text else -1
            if places == 2:  # already in cents: what quantize would give, digit for digit, without its cost
                number = Decimal(text)
            elif places == 1:
                number = Decimal(text + "0")
            elif kind is int:
                number = Decimal(text + ".00")
            else:
                number = Decimal(text).quantize(_CENT, rounding=ROUND_HALF_UP)
            if (low is None or number >= low) and (high is None or number <= high):
                return number
        return SLOW
    return _helper(const, money)


@fast_path("date", Date.coerce)
def _date(f, ftype, const):
    low, high, parse = f.min, f.max, date.fromisoformat

    def day(v):
        if type(v) is str and len(v) == 10 and v[4] == "-":
            try:
                result = parse(v)
            except ValueError:
                return SLOW
            if (low is None or result >= low) and (high is None or result <= high):
                return result
        return SLOW
    return _helper(const, day)


@fast_path("datetime", DateTime.coerce)
def _datetime(f, ftype, const):
    parse, combine = datetime.fromisoformat, datetime.combine

    def moment(v, ctx):
        # Only text the reference would not rewrite first: no "/", no blanks around it.
        if type(v) is not str or "/" in v or not v or v[0].isspace() or v[-1].isspace():
            return SLOW
        try:
            result = parse(v[:-1] + "+00:00" if v[-1] == "Z" else v)
            if result.tzinfo is not None:  # astimezone(utc) without its cost (and without replace's)
                return combine(result.date(), result.time()) - result.utcoffset()
            tz = ctx.tz  # a wall-clock time is read in the deployment's zone
            if type(tz) is ZoneInfo or type(tz) is timezone:  # zones whose offset needs no tzinfo on the time
                return result - tz.utcoffset(result)
        except (ValueError, OverflowError):
            pass
        return SLOW
    return _helper(const, moment, "ctx")


def _plain_values(f) -> dict[str, str]:
    """Option values a client sends as they are (the reference strips the input before comparing)."""
    return {o.value: o.value for o in f.options if o.value == o.value.strip()}


@fast_path("select", Select.coerce)
def _select(f, ftype, const):
    return f"type(v) is str and v in {const(frozenset(_plain_values(f)))}", "v"


@fast_path("multi_select", MultiSelect.coerce)
def _multi_select(f, ftype, const):
    values = _plain_values(f)
    fewest, most = max(f.min_items or 0, 1), f.max_items

    def chosen(v):
        if type(v) is not list or not v:
            return SLOW
        try:
            result = [values[item] for item in dict.fromkeys(v)]  # values[…]: the option's own str
        except (KeyError, TypeError):
            return SLOW
        if len(result) < fewest or (most is not None and len(result) > most):
            return SLOW
        return result
    return _helper(const, chosen)


@fast_path("checkbox", Checkbox.coerce)
def _checkbox(f, ftype, const):
    return "type(v) is bool", "v"


@fast_path("phone", Phone.coerce)
def _phone(f, ftype, const):
    # An 11-digit mainland mobile, written plainly: stored as given.
    return f"type(v) is str and len(v) == 11 and {const(_MOBILE.match)}(v) is not None", "v"


@fast_path("email", Email.coerce)
def _email(f, ftype, const):
    whole = _EMAIL.fullmatch  # no blanks around it (and no trailing newline, which `$` would allow)

    def email(v):
        if type(v) is str and len(v) <= 254 and whole(v) is not None:
            local, _, domain = v.rpartition("@")
            return v if domain.islower() else f"{local}@{domain.lower()}"  # the domain is ASCII here
        return SLOW
    return _helper(const, email)


_ID_LIMIT = 2**63


@fast_path("relation", Relation.coerce)
def _relation(f, ftype, const):
    if not f.many:
        return f"type(v) is int and 0 < v < {const(_ID_LIMIT)}", "v"
    most = f.max_items

    def ids(v):
        if type(v) is not list or not v:
            return SLOW
        for item in v:
            if type(item) is not int or not 0 < item < _ID_LIMIT:
                return SLOW
        result = list(dict.fromkeys(v))
        return SLOW if most and len(result) > most else result
    return _helper(const, ids)


@fast_path("tags", Tags.coerce)
def _tags(f, ftype, const):
    most = f.max_items

    def tags(v):
        if type(v) is not list:
            return SLOW
        result = []
        for item in v:
            if type(item) is not str:
                return SLOW
            tag = item.strip()
            if len(tag) > 40:
                return SLOW
            if tag and tag not in result:
                result.append(tag)
        return result if result and len(result) <= most else SLOW
    return _helper(const, tags)


class CompiledValidator:
    """check(data, ctx, partial=False) → (clean, problems), exactly as check_record answers."""

    def __init__(self, fields: list, form_key: str = ""):
        self.fields, self.form_key = fields, form_key
        self.source, self.check = _generate(fields, form_key)


_CACHE: dict[tuple[int, str], CompiledValidator] = {}


def compile_validator(fields: list, form_key: str = "") -> CompiledValidator:
    """The validator of a field list, built once: the cache holds the list, so its id stays its own."""
    key = (id(fields), form_key)
    validator = _CACHE.get(key)
    if validator is not None and validator.fields is fields:
        return validator
    validator = CompiledValidator(fields, form_key)
    while len(_CACHE) >= CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE), None), None)
    _CACHE[key] = validator
    return validator


def _generate(fields: list, form: str) -> tuple[str, Callable]:
    from engines.form import record  # record builds on this module; the reference is needed only here

    def reference(data, ctx, partial=False):
        return record._check_record_reference(fields, data, ctx, partial=partial, form=form)

    try:
        types = [field_type(f.type) for f in fields]
    except LookupError:  # an unknown type: the reference raises it when called, as it always did
        return "", reference

    names: dict[str, Any] = {"MISSING": _MISSING, "SLOW": SLOW, "Problem": Problem, "is_empty": record.is_empty}

    def const(value: Any) -> str:
        """Source for a value: a literal when it has one, else a name bound in the generated module."""
        if value is None or type(value) in (str, int, bool) or (type(value) is float and math.isfinite(value)):
            return repr(value)
        hint = getattr(value, "__name__", type(value).__name__)
        name = f"{hint if hint.isidentifier() else 'value'}_{len(names)}"
        names[name] = value
        return name

    by_key = {f.key: f for f in fields}
    lines = [
        "def check(data, ctx, partial=False):",
        "    if type(data) is not dict:",
        f"        return {const(reference)}(data, ctx, partial)",
        "    problems = []",
        f"    if not {const(frozenset(by_key) | frozenset(SYSTEM_FIELDS))}.issuperset(data):",
        f"        {const(_unknown_fields(by_key, form))}(data, problems)",
        "    clean = {}",
        "    if 'owner' in data:",
        f"        {const(_owner(record))}(data['owner'], ctx, clean, problems)",
        "    get = data.get",
    ]
    for f, ftype in zip(fields, types):
        lines += _field_lines(f, ftype, const, record)
    lines.append("    return clean, problems")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<validator of form {form!r}>", "exec"), names)
    return source, names["check"]


def _field_lines(f, ftype: FieldType, const: Const, record) -> list[str]:
    key, path = const(f.key), pointer(f.key)
    lines = [f"    # {f.key!r}: {f.type!r}", f"    v = get({key}, MISSING)"]
    if ftype.is_generated:
        return lines + ["    if v is not MISSING and not is_empty(v):",
                        f"        problems.append(Problem({const(path)}, 'generated'))"]
    slow = const(_slow_path(f, ftype, path, record.coerce_value))
    fast = None
    if f.type in FAST_PATHS and type(ftype).coerce is FAST_PATHS.get(f.type).mirrors:
        fast = FAST_PATHS.get(f.type).build(f, ftype, const)
    checks_empty = type(ftype).check_empty is not FieldType.check_empty

    def take(pad: str, present: bool, branch: str) -> list[str]:
        """`branch` "if" or "elif": the fast path's test, then the full route for whatever it declines."""
        full = f"{slow}(v, {present}, ctx, clean, problems)"
        if fast is None:
            return [f"{pad}else:", f"{pad}    {full}"] if branch == "elif" else [pad + full]
        test, value = fast
        return [f"{pad}{branch} {test}:", f"{pad}    clean[{key}] = {value}", f"{pad}else:", f"{pad}    {full}"]

    default = f.default
    if isinstance(default, dict) and "expr" in default:
        absent = []  # an expression default: the runtime computes it, knowing the clock and the user
    elif record.is_empty(default):
        if f.required:
            absent = [f"            problems.append(Problem({const(path)}, 'required'))"]
        else:
            absent = [f"            {slow}(None, False, ctx, clean, problems)"] if checks_empty else []
    else:
        absent = [f"            v = {const(default)}"] + take(" " * 12, False, "if")
    lines += ["    if v is MISSING:"]
    lines += ["        if not partial:"] + absent if absent else ["        pass"]
    if not f.required and not checks_empty:  # an explicit null: stored as null, as coerce_value would
        lines += ["    elif v is None:", f"        clean[{key}] = None"]
    lines += take(" " * 4, True, "elif")
    return lines


def _slow_path(f, ftype: FieldType, path: str, coerce_value: Callable) -> Callable:
    """One field through the type's own coerce: the reference's loop body, step for step."""
    key = f.key

    def slow(value, present, ctx, clean, problems):
        try:
            stored = coerce_value(f, value, ctx, ftype)
        except FieldError as e:
            problems.append(Problem(path, e.code, e.params))
            return
        except ProblemsError as e:
            problems.extend(p.under(path) for p in e.problems)
            return
        if stored is None:
            try:
                if f.required:
                    raise FieldError("required")
                ftype.check_empty(f)
            except FieldError as e:
                problems.append(Problem(path, e.code, e.params))
                return
        if present or stored is not None:
            clean[key] = stored
    return slow


def _unknown_fields(by_key: dict, form: str) -> Callable:
    def unknown(data, problems):
        for key in data:
            if key not in by_key and key not in SYSTEM_FIELDS:
                problems.append(Problem(pointer(key), "unknown_field", {"form": form, "key": key}))
    return unknown


def _owner(record) -> Callable:
    relation = field_type("relation")

    def owner(value, ctx, clean, problems):
        if record.is_empty(value):
            return
        try:
            clean["owner"] = relation.coerce(record._ONE, value, ctx)
        except FieldError as e:
            problems.append(Problem("/owner", e.code, e.params))
    return owner
