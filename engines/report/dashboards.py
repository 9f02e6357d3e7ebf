"""Dashboards: report widgets on a 24-column grid, and shared filters that narrow several reports at once.
`filter_values` turns what a viewer picked into per-report conditions (field path, op, value), where op is one of
"=", "in", ">=", "<", "contains"; date ranges give dates, to be read in the deployment's time zone."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, ProblemsError, pointer

GRID = 24  # columns across a dashboard
FIELD_PATH = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39})*$"  # "paid_at", "customer.leader"
FilterKind = Literal["date_range", "member", "relation", "select", "text"]


class FilterDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    type: FilterKind
    default: str | None = Field(default=None, max_length=200, description="e.g. \"this_month\" or "
                                                                          "\"2026-01-01..2026-01-31\"")
    targets: dict[str, Annotated[str, Field(pattern=FIELD_PATH)]] = Field(
        min_length=1, description="report key → the field it filters, a path in that report's source form")


class WidgetDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: str = Field(pattern=KEY_PATTERN)
    x: int | None = Field(default=None, ge=0, lt=GRID, description="column; with y, or neither to place the "
                                                                   "widget after the others")
    y: int | None = Field(default=None, ge=0, le=1000, description="row")
    w: int = Field(default=12, ge=1, le=GRID)
    h: int = Field(default=6, ge=1, le=100)
    title: str | None = Field(default=None, max_length=200)


class DashboardDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    filters: list[FilterDef] = Field(default_factory=list, max_length=20)
    widgets: list[WidgetDef] = Field(default_factory=list, max_length=100)

    def placed(self) -> list[WidgetDef]:
        """Every widget with its place: as given, or else the first free place in reading order."""
        taken = [(w.x, w.y, w.w, w.h) for w in self.widgets if w.x is not None and w.y is not None]
        found = []
        for w in self.widgets:
            if w.x is not None and w.y is not None:
                found.append(w)
                continue
            x, y = _free(taken, w.w, w.h)
            taken.append((x, y, w.w, w.h))
            found.append(w.model_copy(update={"x": x, "y": y}))
        return found


def _free(taken: list[tuple], w: int, h: int) -> tuple[int, int]:
    y = 0
    while True:
        for x in range(GRID - w + 1):
            if not any(_overlap((x, y, w, h), t) for t in taken):
                return x, y
        y += 1


def _overlap(a: tuple, b: tuple) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def dashboard_problems(dashboards: Any, reports: dict[str, dict]) -> list[Problem]:
    """Everything wrong with an app's dashboards, pointers relative to the list ("/0/widgets/2/report")."""
    if not isinstance(dashboards, list):
        return [Problem("", "not_list")]
    problems: list[Problem] = []
    keys: dict[str, int] = {}
    for i, raw in enumerate(dashboards):
        key = raw.get("key") if isinstance(raw, dict) else None
        if isinstance(key, str) and key in keys:
            problems.append(Problem(pointer(i, "key"), "duplicate_key",
                                    {"key": key, "other": pointer("dashboards", keys[key])}))
        elif isinstance(key, str):
            keys[key] = i
        try:
            board = DashboardDef.model_validate(raw)
        except ValidationError as e:
            problems += [_from_pydantic(err).under(pointer(i)) for err in e.errors()]
            continue
        problems += [p.under(pointer(i)) for p in _board_problems(board, reports, pointer("dashboards", i))]
    return problems


def _board_problems(board: DashboardDef, reports: dict[str, dict], where: str) -> list[Problem]:
    """Problems of one parsed dashboard, relative to it; `where` is its place in the app, for messages."""
    problems: list[Problem] = []
    placed: list[tuple[int, WidgetDef]] = []
    for j, w in enumerate(board.widgets):
        if w.report not in reports:
            problems.append(Problem(pointer("widgets", j, "report"), "dashboard_unknown_report", {"key": w.report}))
        if (w.x is None) != (w.y is None):
            problems.append(Problem(pointer("widgets", j, "x" if w.x is None else "y"), "dashboard_place_both"))
            continue
        if w.x is None or w.y is None:
            continue
        if w.x + w.w > GRID:
            problems.append(Problem(pointer("widgets", j, "w"), "dashboard_too_wide", {"right": w.x + w.w}))
            continue
        for k, other in placed:
            if _overlap((w.x, w.y, w.w, w.h), (other.x, other.y, other.w, other.h)):
                problems.append(Problem(pointer("widgets", j), "dashboard_overlap",
                                        {"other": k + 1, "report": other.report}))
                break
        placed.append((j, w))
    on_board = {w.report for w in board.widgets}
    filter_keys: dict[str, int] = {}
    for f, flt in enumerate(board.filters):
        if flt.key in filter_keys:
            problems.append(Problem(pointer("filters", f, "key"), "duplicate_key",
                                    {"key": flt.key, "other": where + pointer("filters", filter_keys[flt.key])}))
        filter_keys.setdefault(flt.key, f)
        for report in flt.targets:
            if report not in reports:
                problems.append(Problem(pointer("filters", f, "targets", report), "dashboard_unknown_report",
                                        {"key": report}))
            elif report not in on_board:
                problems.append(Problem(pointer("filters", f, "targets", report), "dashboard_target_off_board",
                                        {"key": report}))
        if flt.default is not None and flt.default.strip():
            try:
                KINDS[flt.type](flt.default.strip(), None)
            except FilterValueError as e:
                problems.append(Problem(pointer("filters", f, "default"), e.code, e.params))
    return problems


def _from_pydantic(err: dict) -> Problem:
    loc, kind = err["loc"], err["type"]
    path = pointer(*loc)
    if kind == "extra_forbidden":
        return Problem(path, "unknown_key", {"key": loc[-1] if loc else ""})
    if kind == "missing":
        return Problem(path, "required")
    if kind == "string_pattern_mismatch":
        return Problem(path, "bad_field_path" if "targets" in loc else "bad_key", {"value": err.get("input")})
    if kind == "literal_error":
        return Problem(path, "not_option", {"value": err.get("input"), "options": err["ctx"].get("expected")})
    if kind in ("greater_than_equal", "greater_than"):
        return Problem(path, "too_small", {"limit": err["ctx"].get("ge", err["ctx"].get("gt"))})
    if kind in ("less_than_equal", "less_than"):
        limit = err["ctx"].get("le", err["ctx"]["lt"] - 1 if "lt" in err["ctx"] else None)
        return Problem(path, "too_large", {"limit": limit})
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Problem(path, "not_integer")
    if kind == "too_short" and loc and loc[-1] == "targets":
        return Problem(path, "too_few_items", {"limit": 1})
    return Problem(path, "schema", {"message": err["msg"]})


# ---- what a viewer picks ---------------------------------------------------------------------------------------

class FilterValueError(ValueError):
    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(code)


Condition = tuple[str, Any]  # (op, value)


def filter_values(dashboard: DashboardDef, given: dict[str, str], today: date | None = None
                  ) -> dict[str, list[tuple[str, str, Any]]]:
    """The conditions each report on the dashboard gets from the shared filters: the viewer's values (`given`,
    by filter key; "" clears a filter) over the filters' defaults. `today` resolves relative date ranges such as
    "this_month". Raises ProblemsError, pointers naming the filter key ("/paid_at")."""
    known = {f.key: f for f in dashboard.filters}
    found: dict[str, list[tuple[str, str, Any]]] = {w.report: [] for w in dashboard.widgets}
    problems = [Problem(pointer(key), "dashboard_unknown_filter", {"key": key, "known": ", ".join(known)})
                for key in given if key not in known]
    for flt in dashboard.filters:
        text = given.get(flt.key, flt.default)
        if text is None or not str(text).strip():
            continue
        if today is None and flt.type == "date_range" and str(text).strip() in PRESETS:
            raise ValueError(f"filter {flt.key!r} is {text!r}: relative date ranges need today's date")
        try:
            conditions = KINDS[flt.type](str(text).strip(), today)
        except FilterValueError as e:
            problems.append(Problem(pointer(flt.key), e.code, e.params))
            continue
        for report, path in flt.targets.items():
            found.setdefault(report, []).extend((path, op, value) for op, value in conditions)
    if problems:
        raise ProblemsError(problems)
    return found


def _month(day: date, months: int) -> date:
    """The first day of the month `months` after the one holding `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


# Relative ranges a filter may default to: name → today → [start, end).
PRESETS: dict[str, Callable[[date], tuple[date, date]]] = {
    "today": lambda t: (t, t + timedelta(days=1)),
    "yesterday": lambda t: (t - timedelta(days=1), t),
    "this_week": lambda t: (t - timedelta(days=t.weekday()), t - timedelta(days=t.weekday() - 7)),
    "last_week": lambda t: (t - timedelta(days=t.weekday() + 7), t - timedelta(days=t.weekday())),
    "last_7_days": lambda t: (t - timedelta(days=6), t + timedelta(days=1)),
    "last_30_days": lambda t: (t - timedelta(days=29), t + timedelta(days=1)),
    "this_month": lambda t: (_month(t, 0), _month(t, 1)),
    "last_month": lambda t: (_month(t, -1), _month(t, 0)),
    "this_quarter": lambda t: (_quarter(t), _month(_quarter(t), 3)),
    "last_quarter": lambda t: (_month(_quarter(t), -3), _quarter(t)),
    # whole months: this one and the 5 (11) before it, so a monthly trend never starts with half a month
    "last_6_months": lambda t: (_month(t, -5), _month(t, 1)),
    "last_12_months": lambda t: (_month(t, -11), _month(t, 1)),
    "this_year": lambda t: (date(t.year, 1, 1), date(t.year + 1, 1, 1)),
    "last_year": lambda t: (date(t.year - 1, 1, 1), date(t.year, 1, 1)),
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(text: str, whole: str) -> date:
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise FilterValueError("bad_date_range", value=whole, presets=", ".join(PRESETS))


def _date_range(text: str, today: date | None) -> list[Condition]:
    """"2026-01-01..2026-01-31" (both days included; either end may be left open), one day, or a preset."""
    if text in PRESETS:
        if today is None:  # checking a default at save time: the name is all there is to check
            return []
        start, end = PRESETS[text](today)
        return [(">=", start), ("<", end)]
    first, dots, last = text.partition("..")
    if not dots:
        day = _day(text, text)
        return [(">=", day), ("<", day + timedelta(days=1))]
    if not first.strip() and not last.strip():
        raise FilterValueError("bad_date_range", value=text, presets=", ".join(PRESETS))
    start = _day(first.strip(), text) if first.strip() else None
    end = _day(last.strip(), text) if last.strip() else None
    if start and end and start > end:
        raise FilterValueError("date_range_reversed", start=start.isoformat(), end=end.isoformat())
    return ([(">=", start)] if start else []) + ([("<", end + timedelta(days=1))] if end else [])


def _parts(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ids(code: str) -> Callable[[str, date | None], list[Condition]]:
    def read(text: str, today: date | None) -> list[Condition]:
        parts = _parts(text)
        if not parts or not all(p.isascii() and p.isdigit() and 0 < int(p) < 2**63 for p in parts):
            raise FilterValueError(code, value=text)
        ids = [int(p) for p in parts]
        return [("=", ids[0])] if len(ids) == 1 else [("in", ids)]
    return read


def _select(text: str, today: date | None) -> list[Condition]:
    parts = _parts(text)
    if not parts:
        return []
    return [("=", parts[0])] if len(parts) == 1 else [("in", parts)]


def _text(text: str, today: date | None) -> list[Condition]:
    return [("contains", text)]


# Filter type → how a picked value (already stripped, never empty) becomes conditions.
KINDS: dict[str, Callable[[str, date | None], list[Condition]]] = {
    "date_range": _date_range, "member": _ids("bad_member"), "relation": _ids("bad_reference"),
    "select": _select, "text": _text,
}

__all__ = ["DashboardDef", "FilterDef", "WidgetDef", "GRID", "PRESETS", "dashboard_problems", "filter_values"]
