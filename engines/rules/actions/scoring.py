"""Scoring models as rule actions: RFM (recency, frequency, monetary quintiles over related orders, with the
classic eight-segment label) and churn warning (no interaction for N days → a tag, and a recall flow once).

RFM scores by boundaries: a batch run groups the orders per customer (one aggregate, which the runtime keeps in a
table of its own so the boundaries and the scores read it once), splits the customers into five tiles as NTILE(5)
does for each measure and keeps the largest value of each tile — read at each tile's last place in order
(`ends_sql`) rather than by numbering every row. A customer's score is the first
tile whose largest value is at least theirs — in SQL (a CASE over the boundaries) for every customer, in Python
for one. Equal values always get the same score (NTILE alone may split ties), and event time gives exactly what
the batch gives, using the boundaries of the last batch run (runtime/rules.py keeps them)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import (Date, DateTime, Float, Integer, Numeric, Text, and_, case, cast, func, literal, not_, null,
                        select)

from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem
from engines.rules.actions.base import ActionBase, ActionType, ExprSpec
from engines.rules.actions.tags import (has_tag_sql, tags_field_problems, with_tag, with_tag_sql, without_tag,
                                        without_tag_sql)
from engines.rules.actions.values import settable_problems
from engines.rules.effects import StartFlow

TILES = 5
HIGH = 3  # a score of 3 or more counts as high in the segment label
# (recency high, frequency high, monetary high) → the segment, as Chinese RFM practice names them
SEGMENTS = {
    (True, True, True): "重要价值客户", (True, False, True): "重要发展客户",
    (False, True, True): "重要保持客户", (False, False, True): "重要挽留客户",
    (True, True, False): "一般价值客户", (True, False, False): "一般发展客户",
    (False, True, False): "一般保持客户", (False, False, False): "一般挽留客户",
}
_NUMBER_SOURCES = {"number", "money", "percent", "rating", "rollup", "formula"}


class RfmInto(BaseModel):
    model_config = ConfigDict(extra="forbid")
    r: str | None = Field(default=None, pattern=KEY_PATTERN, description="number field for recency 1–5")
    f: str | None = Field(default=None, pattern=KEY_PATTERN, description="number field for frequency 1–5")
    m: str | None = Field(default=None, pattern=KEY_PATTERN, description="number field for monetary 1–5")
    segment: str | None = Field(default=None, pattern=KEY_PATTERN, description="text/select field for the label")

    @model_validator(mode="after")
    def _some(self) -> "RfmInto":
        if not any((self.r, self.f, self.m, self.segment)):
            raise ValueError("name at least one of r, f, m, segment")
        return self


class RfmDef(ActionBase):
    action: Literal["rfm"]
    source: str = Field(pattern=KEY_PATTERN, description="the form of the orders")
    via: str = Field(pattern=KEY_PATTERN, description="the orders' relation field pointing at the rule's form")
    date: str = Field(pattern=KEY_PATTERN, description="the orders' date or date-time field (recency)")
    amount: str = Field(pattern=KEY_PATTERN, description="the orders' amount field (monetary)")
    filter: str | None = Field(default=None, max_length=4000, description="which orders count, e.g. status = 'paid'")
    into: RfmInto


class ChurnDef(ActionBase):
    action: Literal["churn"]
    date: str = Field(pattern=KEY_PATTERN, description="date (time) of the last interaction, a field of the record")
    days: int = Field(ge=1, le=3650, description="silent for more than this many days → churn warning")
    tag: str | None = Field(default=None, min_length=1, max_length=40)
    field: str = Field(default="tags", pattern=KEY_PATTERN, description="the tags field for `tag`")
    flow: str | None = Field(default=None, pattern=KEY_PATTERN, description="recall flow, started once per warning")

    @model_validator(mode="after")
    def _something(self) -> "ChurnDef":
        if not self.tag and not self.flow:
            raise ValueError("name a tag, a flow, or both")
        return self


# ---- RFM ------------------------------------------------------------------------------------------------------------
PARTS = (("r", "last"), ("f", "freq"), ("m", "money"))  # score → the aggregate's column it tiles


def tile_ends(count: int) -> list[int]:
    """Where each NTILE(5) tile over `count` ordered rows ends (places from 1): the first count % 5 tiles hold one
    row more than the others; fewer rows than tiles make a tile of each."""
    size, extra = divmod(count, TILES)
    return [i * size + min(i, extra) for i in range(1, min(count, TILES) + 1)]


def tile(value: Any, bounds: list) -> int | None:
    """The score of a value: the first tile whose largest value is at least it (above them all: the top)."""
    if value is None or not bounds:
        return None
    return next((i for i, bound in enumerate(bounds, 1) if value <= bound), TILES)


def tile_sql(value, bounds: list, sql_type):
    if not bounds:
        return cast(null(), Float)
    whens = [(value.is_(None), cast(null(), Float))]
    whens += [(value <= literal(bound, sql_type), literal(float(i), Float())) for i, bound in enumerate(bounds, 1)]
    return case(*whens, else_=literal(float(TILES), Float()))


def segment(r: int | None, f: int | None, m: int | None) -> str | None:
    if r is None or f is None or m is None:
        return None
    return SEGMENTS[(r >= HIGH, f >= HIGH, m >= HIGH)]


def segment_sql(r, f, m):
    # the three highs as one number (r 4, f 2, m 1; NULL when a score is) chosen from by a simple CASE, which reads
    # each score once — the scores are CASEs themselves, and eight WHENs naming all three would compute them again
    rh, fh, mh = (cast(score >= HIGH, Integer) for score in (r, f, m))
    code = rh * 4 + fh * 2 + mh
    return case({4 * rh + 2 * fh + mh: literal(label, Text()) for (rh, fh, mh), label in SEGMENTS.items()},
                value=code, else_=cast(null(), Text))


def bounds_to_json(bounds: dict) -> dict:
    return {k: [v.isoformat() if isinstance(v, (date, datetime)) else float(v) for v in values]
            for k, values in bounds.items()}


def bounds_from_json(stored: dict, date_kind: str) -> dict:
    parse = datetime.fromisoformat if date_kind == "datetime" else date.fromisoformat
    return {"r": [parse(v) for v in stored.get("r", [])], "f": [float(v) for v in stored.get("f", [])],
            "m": [float(v) for v in stored.get("m", [])]}


class Rfm(ActionType):
    key, label, props = "rfm", ("RFM 模型", "RFM model"), RfmDef

    def expressions(self, action):
        return [ExprSpec("filter", action.filter, ("filter",), "bool", form=action.source)] if action.filter else []

    def check(self, action, facts):
        source = facts.forms.get(action.source)
        if source is None:
            return [Problem("/source", "unknown_form", {"key": action.source})]
        problems = []
        via = facts.field(action.via, action.source)
        if via is None or via.type != "relation" or getattr(via, "many", False) or via.target != facts.form:
            problems.append(Problem("/via", "rule_not_relation", {"key": action.via, "source": action.source,
                                                                   "form": facts.form}))
        stamp = facts.field(action.date, action.source)
        if stamp is None or stamp.type not in ("date", "datetime"):
            problems.append(Problem("/date", "rule_field_kind", {"key": action.date, "expected": "date",
                                                                  "expected_zh": "日期"}))
        amount = facts.field(action.amount, action.source)
        if amount is None or amount.type not in _NUMBER_SOURCES or \
                (amount.type == "formula" and amount.result not in (None, "number", "money", "percent")):
            problems.append(Problem("/amount", "rule_field_kind", {"key": action.amount, "expected": "number",
                                                                    "expected_zh": "数字"}))
        for part in ("r", "f", "m"):
            if getattr(action.into, part):
                problems += settable_problems(facts, getattr(action.into, part), f"/into/{part}", ("number",))
        if action.into.segment:
            found = settable_problems(facts, action.into.segment, "/into/segment", ("text",))
            target = facts.field(action.into.segment)
            if not found and target.type in ("select", "radio"):
                missing = sorted(set(SEGMENTS.values()) - {o.value for o in target.options})
                if missing:
                    found.append(Problem("/into/segment", "rule_segment_options",
                                         {"key": action.into.segment, "missing": "、".join(missing)}))
            problems += found
        return problems

    def writes(self, action):
        return [k for k in (action.into.r, action.into.f, action.into.m, action.into.segment) if k]

    # the orders of each customer, as one aggregate
    def aggregate(self, action, build, record_id: int | None = None):
        rows = build.table(action.source).alias("rfm_src")
        via = rows.c[build.column_name(action.source, action.via)]
        stamp = rows.c[build.column_name(action.source, action.date)]
        amount = rows.c[build.column_name(action.source, action.amount)]
        # an order without its date (not paid yet) has no recency, so it counts for none of the three
        where = [via.is_not(None), stamp.is_not(None)] + ([via == record_id] if record_id is not None else [])
        if action.filter:
            where.append(build.condition("filter", base=rows, form=action.source))
        total = func.coalesce(func.sum(amount), 0)
        # in cents on both databases: SQLite adds money as floats, and an order of addition must not split a tie
        money = func.round(total, 2) if build.sqlite else func.round(cast(total, Numeric), 2)
        return (select(via.label("cid"), func.max(stamp).label("last"), func.count().label("freq"),
                       cast(money, Float).label("money"))
                .where(*where).group_by(via))

    def boundaries_sql(self, action, build):
        """One statement: the largest recency, frequency and monetary value of each of the five tiles (for one
        customer scored at event time when no batch has kept boundaries yet)."""
        agg = self.aggregate(action, build).subquery("rfm_agg")
        tiles = select(agg.c.last, agg.c.freq, agg.c.money,
                       func.ntile(TILES).over(order_by=agg.c.last).label("rt"),
                       func.ntile(TILES).over(order_by=agg.c.freq).label("ft"),
                       func.ntile(TILES).over(order_by=agg.c.money).label("mt")).cte("rfm_tiles")
        parts = {name: select(tiles.c[t].label("t"), func.max(tiles.c[v]).label("v")).group_by(tiles.c[t])
                 .subquery(f"rfm_{name}") for name, t, v in (("r", "rt", "last"), ("f", "ft", "freq"),
                                                              ("m", "mt", "money"))}
        r, f, m = parts["r"], parts["f"], parts["m"]
        return (select(r.c.t, r.c.v.label("r"), f.c.v.label("f"), m.c.v.label("m"))
                .select_from(r.join(f, f.c.t == r.c.t).join(m, m.c.t == r.c.t)).order_by(r.c.t))

    @staticmethod
    def boundaries(rows) -> dict:
        return {"r": [row.r for row in rows], "f": [float(row.f) for row in rows], "m": [float(row.m) for row in rows]}

    @staticmethod
    def ends_sql(kept, count: int, sqlite: bool):
        """The boundaries of `boundaries_sql` from the aggregate kept in a table of `count` rows (columns last, freq,
        money), in one row r0…, f0…, m0…: the largest value of a tile is the one at the tile's last place in order,
        read there — by percentile_disc on PostgreSQL (one sort per measure), along an index per measure on SQLite
        (which the caller builds). None without rows."""
        ends = tile_ends(count)
        if not ends:
            return None

        def at(column, end: int):
            if sqlite:
                return select(column).order_by(column).limit(1).offset(end - 1).scalar_subquery()
            # the first value whose place reaches the fraction: half a place short of the end, clear of rounding
            return func.percentile_disc(literal((end - 0.5) / count, Float())).within_group(column)
        return select(*[at(kept.c[column], end).label(f"{part}{i}") for part, column in PARTS
                        for i, end in enumerate(ends)])

    @staticmethod
    def boundaries_at(row, count: int) -> dict:
        """The boundaries from the row of `ends_sql`, by column name (None: no rows, no tiles)."""
        places = range(len(tile_ends(count))) if row is not None else range(0)
        return {"r": [row[f"r{i}"] for i in places], "f": [float(row[f"f{i}"]) for i in places],
                "m": [float(row[f"m{i}"]) for i in places]}

    def scores(self, action, bounds: dict, last, freq, money) -> dict:
        r, f, m = tile(last, bounds["r"]), tile(freq, bounds["f"]), tile(money, bounds["m"])
        return {"r": r, "f": f, "m": m, "segment": segment(r, f, m)}

    def values(self, action, run):
        facts = run.facts()
        row = facts.get("row")
        found = self.scores(action, facts["bounds"], *(row if row is not None else (None, None, None)))
        for part in ("r", "f", "m", "segment"):
            key = getattr(action.into, part)
            if key:
                value = found[part]
                run.set(key, float(value) if isinstance(value, int) else value)

    def values_sql(self, action, build):
        facts = build.facts()
        bounds, kept = facts["bounds"], facts.get("aggregate")
        agg = build.join(kept if kept is not None else self.aggregate(action, build).subquery("rfm_agg"), "cid")
        stamp_type = DateTime() if build.field_type(action.source, action.date) == "datetime" else Date()
        r = tile_sql(agg.c.last, bounds["r"], stamp_type)
        f = tile_sql(cast(agg.c.freq, Float), bounds["f"], Float())
        m = tile_sql(agg.c.money, bounds["m"], Float())
        found = {"r": r, "f": f, "m": m, "segment": segment_sql(r, f, m)}
        for part in ("r", "f", "m", "segment"):
            key = getattr(action.into, part)
            if key:
                build.set(key, found[part])


# ---- churn warning --------------------------------------------------------------------------------------------------
class Churn(ActionType):
    key, label, props, acts = "churn", ("流失预警", "Churn warning"), ChurnDef, True

    def expressions(self, action):
        return [ExprSpec("stale", f"DAYS_SINCE({action.date}) > {action.days}", ("date",), "bool")]

    def check(self, action, facts):
        f = facts.field(action.date)
        problems = [] if f is not None and f.type in ("date", "datetime") else [
            Problem("/date", "rule_field_kind", {"key": action.date, "expected": "date", "expected_zh": "日期"})]
        if action.tag:
            problems += tags_field_problems(facts, action.field)
        if action.flow and action.flow not in facts.flows:
            problems.append(Problem("/flow", "rule_unknown_flow", {"key": action.flow}))
        elif action.flow and facts.flows[action.flow] != facts.form:
            problems.append(Problem("/flow", "rule_flow_form", {"flow": action.flow, "form": facts.form}))
        return problems

    def writes(self, action):
        return [action.field] if action.tag else []

    def added_tags(self, action):
        return [(action.field, action.tag)] if action.tag else []

    def removed_tags(self, action):
        return self.added_tags(action)

    def acting(self, action):
        return action.flow is not None

    def values(self, action, run):
        if not action.tag:
            return
        current = run.current(action.field)
        if run.holds("stale"):
            run.set(action.field, with_tag(current, action.tag))
        elif action.tag in (current or []) and run.tag_source(action.field, action.tag):
            run.set(action.field, without_tag(current, action.tag))

    def values_sql(self, action, build):
        if not action.tag:
            return
        column = build.current(action.field)
        clear = and_(has_tag_sql(column, action.tag, build.sqlite), build.tag_source(action.field, action.tag))
        build.set(action.field, case((build.condition("stale"), with_tag_sql(column, action.tag, build.sqlite)),
                                     (clear, without_tag_sql(column, action.tag, build.sqlite)), else_=column))

    # the recall flow starts when the warning is new: not for a record already tagged
    def holds(self, action, run):
        return run.holds("stale") and not (action.tag and action.tag in (run.record.get(action.field) or []))

    def holds_sql(self, action, build):
        stale = build.condition("stale")
        return and_(stale, not_(has_tag_sql(build.column(action.field), action.tag, build.sqlite))) \
            if action.tag else stale

    def act(self, action, run):
        run.emit(StartFlow(action.flow))
