"""What every chart type is: its property model (the report's `chart` object), the checks of the columns it names,
and how it shapes a report result for the page: an ECharts option, or a payload the page draws with antd."""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Iterable

from pydantic import BaseModel, ConfigDict, Field

from engines.problems import Problem, ProblemsError, pointer

VALUE_ROLES = ("measure", "metric")
# Column types whose values have a natural order: such categories are drawn in that order (months left to right),
# not in the order the report happened to sort its rows.
ORDERED_TYPES = {"number", "integer", "money", "percent", "date", "datetime", "time", "duration", "rating"}
EMPTY = {"zh": "(空)", "en": "(empty)"}
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}


class ChartBase(BaseModel):
    """Properties every chart takes. Each type adds its own; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")
    type: str
    title: str | None = Field(default=None, max_length=200)


class Columns:
    """The report's result columns ({"key", "label", "type", "role"}), by key."""

    def __init__(self, columns: list[dict]):
        self.items = [c for c in columns if isinstance(c, dict) and isinstance(c.get("key"), str)]
        self.by_key = {c["key"]: c for c in self.items}

    def dimensions(self) -> list[str]:
        return [c["key"] for c in self.items if c.get("role") == "dimension"]

    def values(self) -> list[str]:
        return [c["key"] for c in self.items if c.get("role") in VALUE_ROLES]

    def label(self, key: str) -> str:
        return str(self.by_key.get(key, {}).get("label") or key)

    def type(self, key: str) -> str | None:
        return self.by_key.get(key, {}).get("type")

    def head(self, key: str) -> dict:
        """What the page needs to title and format a column."""
        column = self.by_key.get(key, {})
        head = {"key": key, "label": self.label(key), "type": column.get("type"), "role": column.get("role")}
        return {**head, "format": column["format"]} if column.get("format") else head

    def ordered(self, key: str) -> bool:
        column = self.by_key.get(key, {})
        return column.get("type") in ORDERED_TYPES or bool(column.get("bucket"))


class Refs:
    """Reads a chart's column references, given or defaulted, against the report's columns. Every problem is
    noted at the property's pointer, so `check` and `shape` share one reading of the chart."""

    def __init__(self, columns: Columns):
        self.columns = columns
        self.problems: list[Problem] = []

    def _known(self, path: str, key: str, want: str) -> bool:
        column = self.columns.by_key.get(key)
        if column is None:
            known = ", ".join(c["key"] for c in self.columns.items)
            self.problems.append(Problem(path, "chart_unknown_column", {"key": key, "known": known}))
            return False
        if want == "dimension" and column.get("role") != "dimension":
            self.problems.append(Problem(path, "chart_not_dimension", {"key": key}))
            return False
        if want == "value" and column.get("role") not in VALUE_ROLES:
            self.problems.append(Problem(path, "chart_not_measure", {"key": key}))
            return False
        return True

    def dimension(self, prop: str, key: str | None, *, taken: Iterable[str | None] = (), default: bool = True,
                  required: bool = True) -> str | None:
        """The dimension named by `prop`, or else the report's first dimension not `taken` by another property."""
        taken = [t for t in taken if t]
        if key is None:
            free = [k for k in self.columns.dimensions() if k not in taken] if default else []
            if free:
                return free[0]
            if required:
                self.problems.append(Problem(pointer(prop), "chart_needs_dimension", {"prop": prop}))
            return None
        if not self._known(pointer(prop), key, "dimension"):
            return None
        if key in taken:
            self.problems.append(Problem(pointer(prop), "chart_same_column", {"key": key}))
            return None
        return key

    def dimensions(self, prop: str, keys: list[str]) -> list[str]:
        found: list[str] = []
        for i, key in enumerate(keys):
            if self._known(pointer(prop, i), key, "dimension"):
                if key in found:
                    self.problems.append(Problem(pointer(prop, i), "chart_same_column", {"key": key}))
                else:
                    found.append(key)
        return found

    def measure(self, prop: str, key: str | None, *, skip: Iterable[str | None] = ()) -> str | None:
        """The measure (or metric) named by `prop`, or else the report's first one not in `skip`."""
        if key is None:
            free = [k for k in self.columns.values() if k not in skip]
            if free:
                return free[0]
            self.problems.append(Problem(pointer(prop), "chart_needs_measure", {"prop": prop}))
            return None
        return key if self._known(pointer(prop), key, "value") else None

    def measures(self, prop: str, keys: list[str], *, most: int | None = None,
                 default: int | None = None) -> list[str]:
        """The measures named by `prop`; when none are named, the report's first `default` (all when None)."""
        if not keys:
            found = self.columns.values()[:default] if default is not None else self.columns.values()
            found = found[:most] if most is not None else found
            if not found:
                self.problems.append(Problem(pointer(prop), "chart_needs_measure", {"prop": prop}))
            return found
        found = [key for i, key in enumerate(keys) if self._known(pointer(prop, i), key, "value")]
        if most is not None and len(keys) > most:
            self.problems.append(Problem(pointer(prop, most), "chart_too_many_measures", {"limit": most}))
        return found

    def uses_every_dimension(self, used: Iterable[str | None]) -> None:
        """Rows are one per combination of the report's dimensions: a chart that leaves one out would draw
        several rows on one point, so it must use them all."""
        for key in self.columns.dimensions():
            if key not in used:
                self.problems.append(Problem("", "chart_unused_dimension", {"key": key}))


class Data:
    """A report result as a chart reads it: rows keyed by column key, optional grand totals, the page's language.
    A relation value arrives as {"id", "label"}; `_drill` on a row is the filter that opens its records."""

    def __init__(self, columns: Columns, rows: list[dict], totals: dict | None, lang: str):
        self.columns, self.rows, self.totals = columns, rows, totals
        self.lang = "en" if lang.lower().startswith("en") else "zh"

    def text(self, key: str, value: Any) -> str:
        """A dimension value as the axis, legend or header shows it."""
        if value is None or value == "":
            return EMPTY[self.lang]
        if isinstance(value, dict):
            return str(value.get("label") if value.get("label") not in (None, "") else value.get("id", ""))
        if isinstance(value, bool):
            return YES_NO[self.lang][0 if value else 1]
        if isinstance(value, (date, datetime)):
            return bucket_text(value, self.columns.by_key.get(key, {}).get("bucket"))
        if isinstance(value, time):
            return value.isoformat(timespec="minutes")
        if isinstance(value, (int, float, Decimal)):
            n = number(value)
            return EMPTY[self.lang] if n is None else (str(int(n)) if float(n).is_integer() else str(n))
        if isinstance(value, (list, tuple)):
            return ("、" if self.lang == "zh" else ", ").join(self.text(key, v) for v in value)
        return str(value)

    def categories(self, key: str) -> list[Any]:
        """The distinct values of a dimension: in their natural order for dates and numbers (blank last),
        otherwise in the order of the report's rows."""
        seen: dict[Any, Any] = {}
        for row in self.rows:
            seen.setdefault(ident(row.get(key)), row.get(key))
        values = list(seen.values())
        if self.columns.ordered(key):
            values.sort(key=order_key)
        return values


def number(value: Any) -> int | float | None:
    """A measure value fit for JSON: Decimal → float; NaN, infinities and non-numbers → None."""
    if value is None:
        return None
    if isinstance(value, int):  # bool included: True counts as 1
        return int(value)
    if isinstance(value, (float, Decimal)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def plain(value: Any) -> Any:
    """Any cell value fit for JSON; a relation keeps {"id", "label"} so the page can link it."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return number(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def ident(value: Any) -> Any:
    """A hashable identity of a dimension value: a relation by its id, so two people named alike stay apart."""
    if isinstance(value, dict):
        return ("id", value.get("id")) if value.get("id") is not None else ("label", value.get("label"))
    if isinstance(value, list):
        return tuple(ident(v) for v in value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def order_key(value: Any) -> tuple:
    """Sorts values of one column: blanks last, numbers by size, everything else by its text."""
    if value is None or value == "":
        return (2, 0, "")
    if isinstance(value, dict):
        return (1, 0, str(value.get("label", "")))
    n = number(value) if not isinstance(value, str) else None
    if n is not None:
        return (0, n, "")
    return (1, 0, value.isoformat() if isinstance(value, (date, time)) else str(value))


def bucket_text(value: date, bucket: str | None) -> str:
    day = value.date() if isinstance(value, datetime) else value
    if bucket == "year":
        return f"{day.year}"
    if bucket == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if bucket == "month":
        return f"{day.year}-{day.month:02d}"
    if bucket == "week":  # named by its Monday, as engines/report/buckets.py names it
        return (day - timedelta(days=day.weekday())).isoformat()
    if isinstance(value, datetime) and bucket != "day":
        return value.strftime("%Y-%m-%d %H:%M")
    return day.isoformat()


def point(value: Any, row: dict | None) -> Any:
    """One data point: the bare number, or {"value", "drill"} when its row can be opened as a record list."""
    drill = row.get("_drill") if row else None
    return {"value": value, "drill": drill} if drill else value


def nice_ceiling(value: float) -> float:
    """A round upper bound at or above `value` (for gauges and radar axes): 87 → 100, 1234 → 1500."""
    if value <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * scale:
            return round(step * scale, 10)
    return round(10 * scale, 10)


class ChartType(ABC):
    key: ClassVar[str]
    label: ClassVar[tuple[str, str]]  # (zh-CN, en) for the designer's palette
    icon: ClassVar[str]  # an Ant Design icon name, e.g. "BarChartOutlined"
    props: ClassVar[type[ChartBase]]
    echarts: ClassVar[bool] = True  # drawn by ECharts from an option; else by the page from the payload

    @abstractmethod
    def read(self, chart: Any, refs: Refs) -> dict:
        """The chart's column references resolved (defaults filled in); problems go to `refs`."""

    @abstractmethod
    def draw(self, chart: Any, spec: dict, data: Data) -> dict:
        """The payload for a chart whose references `read` found sound."""

    def check(self, chart: Any, columns: list[dict]) -> list[Problem]:
        """Problems beyond the property model, with pointers relative to the chart object."""
        refs = Refs(Columns(columns))
        self.read(chart, refs)
        return refs.problems

    def shape(self, chart: Any, columns: list[dict], rows: list[dict], totals: dict | None = None,
              lang: str = "zh-CN") -> dict:
        cols = Columns(columns)
        refs = Refs(cols)
        spec = self.read(chart, refs)
        if refs.problems:
            raise ProblemsError(refs.problems)
        payload = self.draw(chart, spec, Data(cols, rows, totals, lang))
        payload = {"type": self.key, **payload}
        if chart.title:
            payload["title"] = chart.title
        return payload

    def describe(self) -> dict:
        return {"type": self.key, "label": {"zh-CN": self.label[0], "en": self.label[1]}, "icon": self.icon,
                "echarts": self.echarts, "props": self.props.model_json_schema()}
