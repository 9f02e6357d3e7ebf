"""A report definition → one SQL statement (SQLAlchemy Core) that the database runs whole.

    SELECT <dimensions>, <measures>, <metrics> FROM <form> LEFT JOIN <linked forms> WHERE <filters>
    GROUP BY <dimensions> ORDER BY … LIMIT …

Linked forms are LEFT JOINed once each (by primary key, so no row is repeated); filters are the expression
language compiled over the same joins. Parts that need more than one pass become derived tables: N-day
repurchase reads each purchase's next one with LEAD(), cohorts join every customer's first date, "bought at
least twice" counts per customer in a grouped subquery joined back by the dimensions. Totals and subtotals are
the same query grouped by fewer dimensions, UNION ALL; metrics are expressions (window functions for TOTAL,
PREVIOUS, FIRST, RUNNING) over the aggregates.

A sub-table's rows as the source (engines.report.source) join their parent by `parent_id` like any relation; a
tags or multi-select dimension joins the items of its list (json_each / jsonb_array_elements_text), one row each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Mapping, Protocol

from sqlalchemy import Float, Integer, Text, and_, case, cast, func, literal, null, select, true, union_all

from engines.expr import compile_expression
from engines.expr.ast import Name, walk
from engines.expr.check import Checker, Step
from engines.expr.sql import SqlCompiler
from engines.report import buckets
from engines.report.definition import DimensionDef, MeasureDef, ReportDef
from engines.report.metrics import MetricCompiler, compile_metric
from engines.report.source import RowsCatalog, RowSource, parent_condition, row_source, source_scope

LEVEL, ORDER, TITLE, SORT = "_level", "_n", "_t_", "_o_"  # keys start with a letter, so these never meet a report's own


class Catalog(Protocol):
    """What the compiler needs of the published app and of the viewer (engines.expr.sql.Tables and more)."""
    forms: Mapping[str, Any]  # form key → definition
    users: Any  # the platform's users table: names of members

    def table(self, form: str) -> Any: ...

    def column_name(self, form: str, field: str) -> str: ...

    def link(self, form: str, field: str) -> Any: ...

    def title_column(self, form: str) -> str | None: ...  # the title's column name, None if none or hidden

    def rows(self, form: str, table) -> Any: ...  # the viewer's rows of a form over `table`, None for all


@dataclass
class Path:
    """A field reached from the source form: its steps and what it is."""
    text: str
    steps: list[Step]
    kind: str  # expression kind: text, number, date, datetime, bool, ref…
    field: Any  # the field definition at the end (None for system fields)

    @property
    def display(self) -> str:
        """How the dimension shows: relation, member, select, or the expression kind."""
        last = self.steps[-1]
        if last.kind == "relation":
            return "relation"
        if last.kind == "system":
            return "member" if last.field in ("owner", "created_by", "updated_by") else self.kind
        kind = getattr(self.field, "type", "")
        if self.kind == "list":  # tags and multi-select: one group per tag or option
            return "select" if kind == "multi_select" else "text"
        if kind in ("member", "created_by", "updated_by") and not getattr(self.field, "many", False):
            return "member"
        if kind in ("select", "radio"):
            return "select"
        return self.kind


def resolve(scope, text: str) -> Path:
    """A dotted path of the source form; raises ExprError (unknown field…) with the place."""
    node = Name(0, len(text), path=tuple(text.split(".")))
    steps, t = Checker(scope).resolve(node)
    last = steps[-1]
    definition = None if last.kind == "system" else scope.field(last.form, last.field)
    return Path(text, steps, (t.item or t).kind if t.is_rows else t.kind, definition)


class Joins:
    """Linked forms as LEFT JOINs off the base, each path joined once."""

    def __init__(self, catalog: Catalog, base):
        self.catalog, self.base, self.from_ = catalog, base, base
        self.aliases: dict[tuple, Any] = {}

    def reach(self, steps: list[Step]):
        """The table of the record the relation steps lead to, joined if need be."""
        table, key = self.base, ()
        for step in steps:
            key += ((step.form, step.field),)
            if key not in self.aliases:
                alias = self.catalog.table(step.target).alias(f"j{len(self.aliases) + 1}")
                fk = table.c[self.catalog.column_name(step.form, step.field)]
                self.from_ = self.from_.outerjoin(alias, alias.c.id == fk)
                self.aliases[key] = alias
            table = self.aliases[key]
        return table

    def column(self, steps: list[Step]):
        table = self.reach(steps[:-1])
        last = steps[-1]
        if last.kind == "system":
            return table.c[last.field]
        return table.c[self.catalog.column_name(last.form, last.field)]

    def join(self, table, on) -> None:
        self.from_ = self.from_.outerjoin(table, on)


class JoinCompiler(SqlCompiler):
    """The expression compiler, reading fields of linked records through the report's joins."""

    def __init__(self, catalog: Catalog, form: str, ctx, dialect: str, joins: Joins):
        super().__init__(catalog, form, ctx, dialect, joins.base)
        self.joins = joins

    def _follow(self, steps, table, form):
        if table is self.base and len(steps) > 1 and all(s.kind == "relation" for s in steps[:-1]) \
                and steps[-1].kind in ("value", "system", "relation"):
            return self.joins.column(list(steps))
        return super()._follow(steps, table, form)


@dataclass
class Dim:
    """One dimension in SQL: the grouping key, its title (relations, members), and what orders it."""
    key: Any
    title: Any = None
    order: Any = None


@dataclass
class Plan:
    """The statement and what the runtime needs to turn its rows into the API's answer."""
    statement: Any
    report: ReportDef
    columns: list[dict]
    paths: dict[str, Path]
    levels: list[tuple[str, ...]]
    filters: list[str] = field(default_factory=list)  # report filter and runtime filters, for drill-down
    counts: set[str] = field(default_factory=set)  # measures that are whole numbers
    rows_source: RowSource | None = None  # a sub-table's rows: drill-downs list their parent records
    forms: Mapping[str, Any] | None = None
    _rewritten: dict = field(default_factory=dict)  # drill conditions rewritten for the parent form

    @property
    def drill_form(self) -> str:
        """The form whose records `_drill` selects."""
        return self.rows_source.parent if self.rows_source is not None else self.report.source

    def shape(self, raw_rows, tz) -> tuple[list[dict], list[dict]]:
        """Database rows → (rows, total rows) as the API gives them: numbers as numbers, titles for relations,
        option labels for selects, and per row `_drill`, the filter that lists its records."""
        rows, totals = [], []
        dims = [d for d in self.report.dimensions]
        for raw in raw_rows:
            raw = raw._mapping
            level = raw[LEVEL] if len(self.levels) > 1 else 0
            present = self.levels[level]
            out: dict[str, Any] = {}
            keys: dict[str, Any] = {}
            conditions = list(self.filters)
            for d in dims:
                if d.as_ not in present:
                    out[d.as_] = None
                    continue
                value, key = self._dimension(d, raw, tz)
                out[d.as_], keys[d.as_] = value, key
                if conditions is not None:
                    condition = self._drill(d, key, tz)
                    conditions = None if condition is None else conditions + [condition]
            for m in self.report.measures:
                out[m.as_] = _number(raw[m.as_], m.as_ in self.counts)
            for m in self.report.metrics:
                out[m.as_] = _number(raw[m.as_], False)
            out["_keys"] = keys
            out["_drill"] = None if conditions is None else self._drill_text(conditions)
            if level:
                out[LEVEL] = level
                totals.append(out)
            else:
                rows.append(out)
        return rows, totals

    def _drill_text(self, conditions: list[str]) -> str:
        """The filters (bracketed) and the dimension conditions as one condition on the drill form."""
        if self.rows_source is not None:
            return parent_condition(conditions, self.forms, self.rows_source, self._rewritten)
        filters = len(self.filters)
        return " AND ".join([f"({text})" for text in conditions[:filters]] + conditions[filters:])

    def _dimension(self, d: DimensionDef, raw, tz) -> tuple[Any, Any]:
        key = raw[d.as_]
        path = self.paths[d.as_]
        display = "period" if d.bucket or d.since else path.display
        if key is None:
            return None, None
        if display in ("relation", "member"):
            title = raw[TITLE + d.as_]
            return (title if title is not None else f"#{key}"), int(key)
        if display == "select":
            labels = {o.value: o.label for o in path.field.options}
            return labels.get(key, key), key
        if isinstance(key, Decimal):
            key = float(key)
        if isinstance(key, datetime):
            key = key.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None).isoformat(" ")
        elif isinstance(key, date):
            key = key.isoformat()
        elif d.since:
            key = int(key)
        return key, key

    def _drill(self, d: DimensionDef, key, tz) -> str | None:
        """The condition, in the expression language, selecting the records of one dimension value."""
        if d.first_by or d.since:
            return None  # a cohort is a property of the customer's history, not of one record
        path = self.paths[d.as_]
        name = path.text
        if key is None:
            return f"ISBLANK({name})"
        if path.kind == "list":
            return f"HAS_TAG({name}, {quote(str(key))})"
        if d.bucket:
            start, end = buckets.period(key, d.bucket)
            day = f"FORMAT_DATE({name}, 'YYYY-MM-DD')"
            if d.bucket == "day":
                return f"{day} = '{start.isoformat()}'"
            return f"{day} >= '{start.isoformat()}' AND {day} < '{end.isoformat()}'"
        if isinstance(key, bool):
            return f"{name} = {'TRUE' if key else 'FALSE'}"
        if isinstance(key, (int, float)):
            return f"{name} = {key!r}"
        if path.kind == "date":
            return f"{name} = DATEVALUE('{key}')"
        if path.kind == "datetime":
            return f"FORMAT_DATE({name}, 'YYYY-MM-DD HH:mm:ss') = '{key}'"
        return f"{name} = {quote(str(key))}"


def output_columns(report: ReportDef, paths: dict[str, Path]) -> list[dict]:
    """The result's columns: key, label, type and role (dimension, measure, metric), as charts read them."""
    out = []
    for d in report.dimensions:
        path = paths[d.as_]
        kind = "number" if d.since else "period" if d.bucket else path.display
        label = d.label or getattr(path.field, "label", None) or path.steps[-1].field
        column = {"key": d.as_, "label": label, "type": kind, "role": "dimension"}
        if d.bucket:
            column["bucket"] = d.bucket
        out.append(column)
    # `agg` tells the pivot chart which subtotals may be added up (sum, count) and which may not (avg, distinct)
    for m in report.measures:
        out.append(_formatted({"key": m.as_, "label": m.label or m.as_, "type": "number", "role": "measure",
                               "agg": m.agg}, m.format or ("percent" if m.agg == "repeat_rate" else None)))
    out += [_formatted({"key": m.as_, "label": m.label or m.as_, "type": "number", "role": "metric"}, m.format)
            for m in report.metrics]
    return out


def _formatted(column: dict, number_format: str | None) -> dict:
    return {**column, "format": number_format} if number_format else column


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number(value, whole: bool):
    if value is None:
        return None
    if whole:
        return int(value)
    return round(float(value), 6)


class Compiler:
    def __init__(self, report: ReportDef, catalog: Catalog, ctx, dialect: str, filters: list[str] = ()):
        self.rows_source = row_source(report.source)
        if self.rows_source is not None:
            catalog = RowsCatalog(catalog, self.rows_source)
        self.report, self.catalog, self.ctx, self.dialect = report, catalog, ctx, dialect
        self.scope = source_scope(catalog.forms, report.source)
        self.filters = [text for text in [report.filter, *filters] if text and text.strip()]
        self.conditions = [compile_expression(text, self.scope, expect="bool") for text in self.filters]
        self.paths = {d.as_: resolve(self.scope, d.field) for d in report.dimensions}
        self.measure_paths = {m.as_: resolve(self.scope, m.field) for m in report.measures if m.field}
        self.measure_exprs = {m.as_: compile_expression(m.expr, self.scope, expect=None)
                              for m in report.measures if m.expr}
        self.measure_filters = {m.as_: compile_expression(m.filter, self.scope, expect="bool")
                                for m in report.measures if m.filter}
        names = [m.as_ for m in report.measures]
        self.metrics = []
        for metric in report.metrics:
            self.metrics.append(compile_metric(metric.expr, names))
            names.append(metric.as_)
        self.next_day = [m for m in report.measures if m.agg == "repeat_rate" and m.within_days]
        self.twice = [m for m in report.measures if m.agg == "repeat_rate" and not m.within_days]
        self.table = catalog.table(report.source)

    # ---- the whole statement -----------------------------------------------------------------------------------
    def plan(self) -> Plan:
        levels = self.levels()
        base = self.windowed() if self.next_day else self.table
        selects = [self.level(base, dims, i if len(levels) > 1 else None) for i, dims in enumerate(levels)]
        if len(selects) == 1:
            statement = selects[0]
        else:
            combined = union_all(*(select(*s.subquery().c) if i == 0 and self.report.limit else s
                                   for i, s in enumerate(selects))).subquery("levels")
            statement = select(*combined.c).order_by(combined.c[LEVEL], combined.c[ORDER])
        counts = {m.as_ for m in self.report.measures if m.agg in ("count", "count_distinct")}
        return Plan(statement, self.report, self.columns(), self.paths, levels, self.filters, counts,
                    self.rows_source, self.catalog.forms)

    def levels(self) -> list[tuple[str, ...]]:
        """Dimension sets to group by: all of them first, then subtotals and totals as asked."""
        dims = tuple(d.as_ for d in self.report.dimensions)
        found = [dims]
        pivot = self.report.pivot
        if pivot is not None and self.report.totals:
            found += [tuple(pivot.rows), tuple(pivot.columns), ()]
        else:
            if self.report.subtotals:
                found += [dims[:n] for n in range(len(dims) - 1, 0, -1)]
            if self.report.totals and dims:
                found.append(())
        unique = []
        for level in found:
            if level not in unique:
                unique.append(level)
        return unique

    def columns(self) -> list[dict]:
        return output_columns(self.report, self.paths)

    # ---- the filtered source ---------------------------------------------------------------------------------
    def where(self, compiler: SqlCompiler, table) -> list:
        conditions = [compiler.condition(c.node) for c in self.conditions]
        scope = self.row_scope(compiler, table)
        return conditions + ([scope] if scope is not None else [])

    def row_scope(self, compiler: SqlCompiler, table):
        """The viewer's rows: of the form, or — for a sub-table's rows — those of the parent records they may
        read (through the report's join to the parent when there is one)."""
        rows = self.rows_source
        if rows is None:
            return self.catalog.rows(self.report.source, table)
        if isinstance(compiler, JoinCompiler):
            parent = compiler.joins.reach([Step("relation", rows.form, rows.link, rows.parent)])
            return self.catalog.rows(rows.parent, parent)
        parent = self.catalog.table(rows.parent).alias("scope_parent")
        scope = self.catalog.rows(rows.parent, parent)
        return None if scope is None else table.c.parent_id.in_(select(parent.c.id).where(scope))

    def windowed(self):
        """The filtered source with each purchase's next purchase date (per customer), for N-day repurchase."""
        t = self.table.alias("src")
        plain = SqlCompiler(self.catalog, self.report.source, self.ctx, self.dialect, t)
        extra = []
        for i, m in enumerate(self.next_day):
            entity = t.c[self.catalog.column_name(self.report.source, m.field)]
            moment = t.c[self.catalog.column_name(self.report.source, m.date)]
            partition = [entity]
            if m.as_ in self.measure_filters:
                partition.append(case((plain.condition(self.measure_filters[m.as_].node), 1), else_=0))
            extra.append(func.lead(moment).over(partition_by=partition, order_by=[moment, t.c.id]).label(f"_next{i}"))
        columns = [t.c[name] for name in sorted(self.used_columns())]
        return select(*columns, *extra).where(*self.where(plain, t)).subquery("base")

    def used_columns(self) -> set[str]:
        """The source's columns the outer query reads: the derived table carries only these (SQLite copies it)."""
        names = {"id"}
        steps = [p.steps for p in (*self.paths.values(), *self.measure_paths.values())]
        steps += [resolve(self.scope, text).steps for text in
                  [d.first_by for d in self.report.dimensions if d.first_by] + [m.date for m in self.next_day]]
        for expression in (*self.measure_exprs.values(), *self.measure_filters.values()):
            steps += [n.steps for n in walk(expression.node) if isinstance(n, Name)]
        for first in (s[0] for s in steps):
            if first.kind == "system":
                names.add(first.field)
            elif first.kind in ("value", "relation"):
                names.add(self.catalog.column_name(first.form, first.field))
        return names

    # ---- one level of grouping -----------------------------------------------------------------------------------
    def level(self, base, present: tuple[str, ...], level: int | None):
        joins = Joins(self.catalog, base)
        c = JoinCompiler(self.catalog, self.report.source, self.ctx, self.dialect, joins)
        where = [] if self.next_day else self.where(c, base)
        dims = {d.as_: self.dimension(d, c, joins, base) for d in self.report.dimensions if d.as_ in present}
        measures = {m.as_: self.measure(m, c, joins, base) for m in self.report.measures if m not in self.twice}
        group = [part for d in dims.values() for part in (d.key, d.title) if part is not None]
        twice = {m.as_ for m in self.twice}
        core = select(*self.dimension_columns(dims, wrapped=bool(twice)),
                      *(value.label(name) for name, value in measures.items())).select_from(joins.from_).where(*where)
        if group:
            core = core.group_by(*group)
        statement = core
        if twice:  # grouped again per customer: that aggregate is a table joined back by the dimensions
            core = core.subquery("core")
            from_ = core
            for m in self.twice:
                per = self.twice_subquery(m, base, present)
                same = [core.c[name].is_not_distinct_from(per.c[name]) for name in dims]
                from_ = from_.outerjoin(per, and_(true(), *same))
                measures[m.as_] = per.c.rate
            measures = {name: value if name in twice else core.c[name] for name, value in measures.items()}
            dims = {name: Dim(core.c[name], core.c[TITLE + name] if d.title is not None else None, core.c[SORT + name])
                    for name, d in dims.items()}
            statement = select(*self.dimension_columns(dims)).select_from(from_)
            statement = statement.add_columns(*(measures[m.as_].label(m.as_) for m in self.report.measures))
        measures = {m.as_: measures[m.as_] for m in self.report.measures}
        values = dict(measures)
        for metric, compiled in zip(self.report.metrics, self.metrics):
            along = metric.along if metric.along in dims else (list(dims)[-1] if dims else None)
            partition = [d.key for name, d in dims.items() if name != along]
            order = [dims[along].order] if along else []
            value = MetricCompiler(values, self.ctx, self.dialect, partition, order).compile(compiled.node)
            values[metric.as_] = value
            statement = statement.add_columns(value.label(metric.as_))
        order = self.order_by(dims, values)
        if level is not None:  # the rows of every level keep their order through the UNION
            statement = statement.add_columns(func.row_number().over(order_by=order or None).label(ORDER),
                                              literal(level, Integer()).label(LEVEL))
        if level is None or (level == 0 and self.report.limit):  # union members are ordered by _n outside
            statement = statement.order_by(*order)
            if self.report.limit:
                statement = statement.limit(self.report.limit)
        return statement

    def dimension_columns(self, dims: dict[str, Dim], wrapped: bool = False) -> list:
        """Key and title of each dimension, in the report's order; NULL for those a total row leaves out (every
        level of a UNION has the same columns). `wrapped`: with the sort key, for the query around this one."""
        columns = []
        for d in self.report.dimensions:
            found = dims.get(d.as_)
            columns.append(found.key.label(d.as_) if found else null().label(d.as_))
            if self.paths[d.as_].display in ("relation", "member") and not (d.bucket or d.first_by or d.since):
                columns.append(found.title.label(TITLE + d.as_) if found else null().label(TITLE + d.as_))
            if wrapped and found:
                columns.append(found.order.label(SORT + d.as_))
        return columns

    def order_by(self, dims: dict[str, Dim], values: dict) -> list:
        order = []
        for s in self.report.sort:
            if s.by in dims:
                expression = dims[s.by].order
            elif s.by in values:
                expression = values[s.by]
            else:
                continue  # a dimension left out of a total row
            order.append(expression.desc().nulls_last() if s.desc else expression.asc().nulls_last())
        sorted_by = {s.by for s in self.report.sort}
        order += [d.order.asc().nulls_last() for name, d in dims.items() if name not in sorted_by]
        return order

    # ---- dimensions and measures -----------------------------------------------------------------------------
    def dimension(self, d: DimensionDef, c: JoinCompiler, joins: Joins, base) -> Dim:
        path = self.paths[d.as_]
        if d.first_by or d.since:
            cohort = d if d.first_by else next(x for x in self.report.dimensions if x.as_ == d.since)
            first = self.first_dates(cohort, joins, base)
            first_label = buckets.label(c, first, self.paths[cohort.as_].kind, cohort.bucket)
            if d.first_by:
                return Dim(first_label, order=first_label)
            own = buckets.label(c, joins.column(path.steps), path.kind, d.bucket)
            age = buckets.index(c, own, d.bucket) - buckets.index(c, first_label, d.bucket)
            return Dim(age, order=age)
        value = joins.column(path.steps)
        if path.kind == "list":
            value = self.each_item(d.as_, value, joins)
        if d.bucket:
            value = buckets.label(c, value, path.kind, d.bucket)
            return Dim(value, order=value)
        display = path.display
        if display == "relation":
            target = joins.reach(path.steps)
            name = self.catalog.title_column(path.steps[-1].target)
            title = None if name is None else target.c[name]
            scope = self.catalog.rows(path.steps[-1].target, target)
            if title is not None and scope is not None:
                title = case((scope, title), else_=null())
            title = title if title is not None else cast(null(), Text)
            return Dim(value, title, self._order_of(d.as_, value, title))
        if display == "member":
            users = self.catalog.users.alias(f"u_{d.as_}")
            joins.join(users, users.c.id == value)
            title = func.coalesce(func.nullif(users.c.name, ""), users.c.username)
            return Dim(value, title, title)
        if display == "select":
            options = [o.value for o in path.field.options]
            position = case(*((value == option, i) for i, option in enumerate(options)), else_=len(options))
            return Dim(value, order=position if options else value)
        return Dim(value, order=value)

    def each_item(self, name: str, column, joins: Joins):
        """A list column (tags, multi-select) joined to its items, one row per item: a record counts in each of
        its groups; an empty list leaves one row with no item."""
        unnest = func.json_each if self.dialect == "sqlite" else func.jsonb_array_elements_text
        items = unnest(column).table_valued("value").alias(f"e_{name}")
        joins.join(items, true())
        return items.c.value

    def _order_of(self, name: str, key, title):
        """Relations order by their title (a ranking of leaders by name), then by id."""
        if title is None:
            return key
        if self.paths[name].display == "relation":
            return func.coalesce(title, "") if self.dialect == "sqlite" else func.coalesce(title, "").collate("C")
        return title

    def first_dates(self, cohort: DimensionDef, joins: Joins, base):
        """Each customer's first date (among the report's records), joined once per level."""
        key = ("first", cohort.as_)
        if key in joins.aliases:
            return joins.aliases[key].c.first
        entity_path, date_path = resolve(self.scope, cohort.first_by), self.paths[cohort.as_]
        if self.next_day:
            inner, where = base.alias(f"f_{cohort.as_}"), []
        else:
            inner = self.table.alias(f"f_{cohort.as_}")
            where = self.where(SqlCompiler(self.catalog, self.report.source, self.ctx, self.dialect, inner), inner)
        inner_joins = Joins(self.catalog, inner)
        entity, moment = inner_joins.column(entity_path.steps), inner_joins.column(date_path.steps)
        firsts = (select(entity.label("entity"), func.min(moment).label("first")).select_from(inner_joins.from_)
                  .where(*where, entity.is_not(None)).group_by(entity).subquery(f"first_{cohort.as_}"))
        joins.join(firsts, firsts.c.entity == joins.column(entity_path.steps))
        joins.aliases[key] = firsts
        return firsts.c.first

    def measure(self, m: MeasureDef, c: JoinCompiler, joins: Joins, base):
        condition = c.condition(self.measure_filters[m.as_].node) if m.as_ in self.measure_filters else None
        if m.agg == "repeat_rate":  # N days: a purchase followed by the next one within the days
            i = self.next_day.index(m)
            entity = joins.column(self.measure_paths[m.as_].steps)
            date_path = resolve(self.scope, m.date)
            moment, following = joins.column(date_path.steps), base.c[f"_next{i}"]
            gap = c.day_number(following, date_path.kind) - c.day_number(moment, date_path.kind)
            again = and_(following.is_not(None), gap <= m.within_days)
            buyers = entity if condition is None else case((condition, entity), else_=null())
            returning = case((again if condition is None else and_(condition, again), entity), else_=null())
            return cast(func.count(returning.distinct()), Float) / func.nullif(
                cast(func.count(buyers.distinct()), Float), 0)
        if m.field is None and m.expr is None:
            value = literal(1) if condition is not None else None
        elif m.expr is not None:
            value = c.typed(self.measure_exprs[m.as_].node)
        else:
            value = joins.column(self.measure_paths[m.as_].steps)
        if condition is not None:
            value = case((condition, value), else_=null())
        if m.agg == "count":
            return func.count() if value is None else func.count(value)
        if m.agg == "count_distinct":
            return func.count(value.distinct())
        if m.agg == "sum":
            return func.coalesce(func.sum(value), 0)
        return getattr(func, m.agg)(value)

    def twice_subquery(self, m: MeasureDef, base, present: tuple[str, ...]):
        """Per dimension values: the share of customers with at least two records there."""
        inner_base = base.alias(f"r_{m.as_}")
        joins = Joins(self.catalog, inner_base)
        c = JoinCompiler(self.catalog, self.report.source, self.ctx, self.dialect, joins)
        where = [] if self.next_day else self.where(c, inner_base)
        if m.as_ in self.measure_filters:
            where.append(c.condition(self.measure_filters[m.as_].node))
        keys = {d.as_: self.dimension(d, c, joins, inner_base).key for d in self.report.dimensions if d.as_ in present}
        entity = joins.column(self.measure_paths[m.as_].steps)
        per = (select(*(k.label(n) for n, k in keys.items()), entity.label("entity"), func.count().label("times"))
               .select_from(joins.from_).where(*where, entity.is_not(None))
               .group_by(*keys.values(), entity).subquery(f"per_{m.as_}"))
        rate = cast(func.sum(case((per.c.times >= 2, 1), else_=0)), Float) / func.nullif(cast(func.count(), Float), 0)
        statement = select(*(per.c[n] for n in keys), rate.label("rate"))
        if keys:
            statement = statement.group_by(*(per.c[n] for n in keys))
        return statement.subquery(f"twice_{m.as_}")


def compile_report(report: ReportDef, catalog: Catalog, ctx, dialect: str, filters: list[str] = ()) -> Plan:
    """The report as one statement. Raises ExprError for a bad expression (validated at publish, so only a
    runtime filter can)."""
    return Compiler(report, catalog, ctx, dialect, filters).plan()

