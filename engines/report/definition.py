"""The REPORT section of an app: what to group by, what to count or add up, what to compute from that.

    {"key": "leader_ranking", "name": "团长业绩排行", "source": "order", "filter": "status = 'paid'",
     "dimensions": [{"field": "leader", "as": "leader"}, {"field": "paid_at", "bucket": "month", "as": "month"}],
     "measures": [{"agg": "sum", "field": "amount", "as": "gmv"}, {"agg": "count", "as": "orders"}],
     "metrics": [{"as": "aov", "expr": "gmv / orders"}],
     "sort": [{"by": "gmv", "desc": true}], "limit": 10, "chart": {"type": "bar", "x": "leader", "y": ["gmv"]}}
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields.base import KEY_PATTERN

AGGREGATIONS = ("count", "count_distinct", "sum", "avg", "min", "max", "repeat_rate")
BUCKETS = ("day", "week", "month", "quarter", "year")
Agg = Literal["count", "count_distinct", "sum", "avg", "min", "max", "repeat_rate"]
Bucket = Literal["day", "week", "month", "quarter", "year"]
# how a number prints: a fraction as a percentage (0.125 → 12.5%), an amount of money (¥1,234.50)
NumberFormat = Literal["percent", "money"]
SOURCE = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39})?$"  # a form, or form.subtable
PATH = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39}){0,3}$"


class DimensionDef(BaseModel):
    """One grouping: a field (through relations: `customer.leader`), a date field cut into buckets, or a
    cohort (`first_by`: the bucket of each customer's first date) and the periods since it (`since`)."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    field: str = Field(pattern=PATH, description="field key, or a path through relations such as customer.leader")
    as_: str = Field(alias="as", pattern=KEY_PATTERN, description="the column key in the result")
    label: str | None = Field(default=None, max_length=100)
    bucket: Bucket | None = Field(default=None,
                                  description="date fields: day, week (from Monday), month, quarter, year")
    first_by: str | None = Field(default=None, pattern=PATH, description=(
        "cohort: the bucket of the first date of each record this relation names (e.g. customer)"))
    since: str | None = Field(default=None, pattern=KEY_PATTERN, description=(
        "periods (buckets) from the cohort dimension named here to this row's date: 0, 1, 2…"))


class MeasureDef(BaseModel):
    """One aggregate. `repeat_rate` is the share of the records `field` names (e.g. customers) that appear at
    least twice in the group, or — with `within_days` and `date` — that come back within that many days."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    agg: Agg
    field: str | None = Field(default=None, pattern=PATH)
    expr: str | None = Field(default=None, min_length=1, max_length=4000,
                             description="a value per record instead of a field, e.g. amount - discount")
    as_: str = Field(alias="as", pattern=KEY_PATTERN)
    label: str | None = Field(default=None, max_length=100)
    filter: str | None = Field(default=None, min_length=1, max_length=4000,
                               description="only the records meeting this condition count")
    within_days: int | None = Field(default=None, ge=1, le=3650)
    date: str | None = Field(default=None, pattern=PATH, description="repeat_rate within_days: the purchase date")
    format: NumberFormat | None = Field(default=None, description="percent (repeat_rate's own) or money")


class MetricDef(BaseModel):
    """A value computed from the measures of the same row: `gmv / orders`; TOTAL(x), PREVIOUS(x), FIRST(x) and
    RUNNING(x) read other rows along the last dimension (or `along`)."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    as_: str = Field(alias="as", pattern=KEY_PATTERN)
    expr: str = Field(min_length=1, max_length=4000)
    label: str | None = Field(default=None, max_length=100)
    along: str | None = Field(default=None, pattern=KEY_PATTERN)
    format: NumberFormat | None = Field(default=None, description="percent for shares and rates, or money")


class SortDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = Field(pattern=KEY_PATTERN)
    desc: bool = False


class PivotDef(BaseModel):
    """Rows × columns: dimensions named by their `as`; measures and metrics fill the cells."""
    model_config = ConfigDict(extra="forbid")
    rows: list[str] = Field(default_factory=list, max_length=5)
    columns: list[str] = Field(min_length=1, max_length=3)


class ReportDef(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    source: str = Field(pattern=SOURCE, description=(
        "the form whose records are counted, or a sub-table whose rows are (order.lines: a row reads its "
        "parent record as order.paid_at)"))
    filter: str | None = Field(default=None, max_length=4000, description="only records meeting this condition")
    dimensions: list[DimensionDef] = Field(default_factory=list, max_length=8)
    measures: list[MeasureDef] = Field(default_factory=list, max_length=30)
    metrics: list[MetricDef] = Field(default_factory=list, max_length=30)
    sort: list[SortDef] = Field(default_factory=list, max_length=10)
    limit: int | None = Field(default=None, ge=1, le=10_000, description="top N rows after sorting")
    pivot: PivotDef | None = None
    totals: bool = Field(default=False, description="a grand total row")
    subtotals: bool = Field(default=False, description="a subtotal row per value of each leading dimension")
    chart: dict[str, Any] | None = Field(default=None, description="how to draw it (engines.report.charts)")

    def outputs(self) -> list[str]:
        return [d.as_ for d in self.dimensions] + [m.as_ for m in self.measures] + [m.as_ for m in self.metrics]
