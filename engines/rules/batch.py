"""Set-based batch: one rule over every record of its form, compiled to a few SQL statements — never a loop over
rows in Python. The plan is SQLAlchemy; the runtime executes it (runtime/rules.py).

- `rows`: one SELECT giving, for each record whose fields change, its new values — every field the rule's actions
  set, computed over the record as it was (the then-branch's values where the condition holds, the else-branch's
  elsewhere), stored the way the form stores them (money in cents, blank text empty) — and, per tag the rule adds
  or removes, whether the record had it before and has it after. Records whose new values the form would refuse
  (out of range, not an option, too many tags) are left out, as event time leaves them unchanged; records whose
  values would not change are left out too. The new values are computed once per record: the compare, the
  checks and the flags read them by name from an inner query the database keeps as it is.
- `matched`: how many records the condition holds for.
- `acting`: per per-record action, the ids it acts on (one SELECT each), taken before anything changes.

Event time (engines/rules/evaluate.py) gives the same new values record by record; the tests hold them equal."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sqlalchemy import (Float, Numeric, Text, case, cast, false, func, literal, not_, null, or_, select,
                        true)

from engines.expr import EvalContext
from engines.form.fields import field_type
from engines.rules.actions.tags import has_tag_sql
from engines.rules.compiler import CompiledRule
from engines.rules.definition import BRANCHES


class BatchBuild:
    """What an action's `values_sql` / `holds_sql` sees: the record's table as `cur`, the values set so far."""

    def __init__(self, rule: CompiledRule, tables, ctx: EvalContext, dialect: str, forms: Mapping[str, Any],
                 facts: Mapping, tag_source: Callable):
        self.rule, self.tables, self.ctx, self.dialect, self.forms = rule, tables, ctx, dialect, forms
        self.all_facts, self._tag_source = facts, tag_source
        self.base = tables.table(rule.form).alias("cur")
        self.values: dict[str, Any] = {}
        self.joins: list[tuple[Any, str]] = []
        self.at: tuple[str, int] = ("then", 0)

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def table(self, form: str):
        return self.tables.table(form)

    def column_name(self, form: str, key: str) -> str:
        return self.tables.column_name(form, key)

    def field_type(self, form: str, key: str) -> str | None:
        f = next((f for f in self.forms[form].fields if f.key == key), None)
        return f.type if f is not None else None

    def column(self, key: str):
        """The field as the record was before the rule."""
        return self.base.c[self.tables.column_name(self.rule.form, key)]

    def current(self, key: str):
        return self.values.get(key, self.column(key))

    def set(self, key: str, value) -> None:
        self.values[key] = value

    def sql(self, name: str):
        return self.rule.exprs[(*self.at, name)].sql(self.tables, self.ctx, self.dialect, self.rule.form, self.base)

    def condition(self, name: str, base=None, form: str | None = None):
        compiled = self.rule.exprs[(*self.at, name)]
        return compiled.sql(self.tables, self.ctx, self.dialect, form or self.rule.form,
                            self.base if base is None else base, condition=True)

    def tag_source(self, key: str, tag: str):
        """SQL: a rule set this tag on the record (the runtime knows where sources are kept)."""
        return self._tag_source(key, tag, self.base)

    def facts(self) -> Any:
        return self.all_facts.get(self.at)

    def join(self, subquery, key: str):
        """A grouped subquery LEFT JOINed on `subquery.c[key] = cur.id`; its columns are read by the actions."""
        self.joins.append((subquery, key))
        return subquery


@dataclass
class BatchPlan:
    fields: list[str]  # the fields written, in the order of `rows`' value columns v0, v1…
    rows: Any  # SELECT id, v0…, h0…, g0…: the records that change
    tags: list[tuple[str, str]]  # (field, tag) of flag columns h0, g0…: the record had the tag before / has it after
    added: list[tuple[str, str]]  # of `tags`, those the rule adds (the others it only removes)
    matched: Any  # SELECT count(*): records the condition holds for
    acting: list[tuple[str, int, Any, Any, Any]] = field(default_factory=list)  # (branch, index, action, type, ids)


def compile_batch(rule: CompiledRule, tables, ctx: EvalContext, dialect: str, forms: Mapping[str, Any],
                  facts: Mapping | None = None, tag_source: Callable | None = None) -> BatchPlan:
    build = BatchBuild(rule, tables, ctx, dialect, forms, facts or {}, tag_source or (lambda *_: false()))
    cur = build.base
    condition = rule.condition.sql(tables, ctx, dialect, rule.form, cur, condition=True) if rule.condition else true()
    holds = func.coalesce(condition, false()) if rule.condition else true()  # never NULL, so NOT flips it
    by_branch: dict[str, dict] = {}
    added: list[tuple[str, str]] = []
    removed: list[tuple[str, str]] = []
    acting = []
    for branch in BRANCHES:
        build.values = {}
        where = holds if branch == "then" else not_(holds)
        for i, action, kind in rule.actions(branch):
            build.at = (branch, i)
            kind.values_sql(action, build)
            added += [pair for pair in kind.added_tags(action) if pair not in added]
            removed += [pair for pair in kind.removed_tags(action) if pair not in removed]
            if kind.acting(action):
                extra = kind.holds_sql(action, build)
                ids = select(cur.c.id).where(where, *([extra] if extra is not None else [])).order_by(cur.c.id)
                acting.append((branch, i, action, kind, ids))
        by_branch[branch] = build.values
    keys = list(dict.fromkeys([*by_branch["then"], *by_branch["else"]]))
    form = forms[rule.form]
    defs = {f.key: f for f in form.fields}
    new = {}
    for key in keys:
        then_value = by_branch["then"].get(key, build.column(key))
        else_value = by_branch["else"].get(key, build.column(key))
        if not by_branch["else"]:
            value = then_value
        elif not by_branch["then"]:
            value = else_value
        else:
            value = case((holds, then_value), else_=else_value)
        new[key] = value
    where = []
    if not by_branch["else"]:
        where.append(holds)
    elif not by_branch["then"]:
        where.append(not_(holds))
    frm = cur
    for subquery, key in build.joins:
        frm = frm.outerjoin(subquery, subquery.c[key] == cur.c.id)
    # the new values once per record (an inner query), then stored the form's way, compared and checked by name;
    # OFFSET 0 keeps both databases from merging the inner query into the outer one, which would copy the value
    # expressions into every place that names them and compute each up to five times per record
    inner = select(cur.c.id, *[new[key].label(f"v{n}") for n, key in enumerate(keys)],
                   *[build.column(key).label(f"o{n}") for n, key in enumerate(keys)]).select_from(frm).where(*where)
    inner = inner.offset(0).subquery("new")
    value = {key: stored_sql(defs[key], inner.c[f"v{n}"], dialect) for n, key in enumerate(keys)}
    old = {key: inner.c[f"o{n}"] for n, key in enumerate(keys)}
    checks = [or_(*[value[key].is_distinct_from(old[key]) for key in keys]) if keys else false()]
    checks += [guard for key in keys for guard in guards_sql(defs[key], value[key], dialect)]
    tags = [pair for pair in dict.fromkeys([*added, *removed]) if pair[0] in new]
    flags = [flag for n, (key, tag) in enumerate(tags)
             for flag in (has_tag_sql(old[key], tag, build.sqlite).label(f"h{n}"),
                          has_tag_sql(value[key], tag, build.sqlite).label(f"g{n}"))]
    rows = select(inner.c.id, *[value[key].label(f"v{n}") for n, key in enumerate(keys)], *flags).where(*checks)
    matched = select(func.count()).select_from(cur).where(condition)
    return BatchPlan(keys, rows, tags, [pair for pair in tags if pair in added], matched, acting)


# ---- values as the form stores them, and the form's checks ----------------------------------------------------------
def stored_sql(f, value, dialect: str):
    """What the form's coercion makes of a value: money to cents, numbers to their decimals, blank text empty."""
    digits = 2 if f.type == "money" else getattr(f, "decimals", None) if f.type in ("number", "percent") else None
    if digits is not None:
        return func.round(value if dialect == "sqlite" else cast(value, Numeric), digits)
    if field_type(f.type).expr_kind_for(f) == "text" and f.type != "tags":
        return case((func.trim(value) == "", cast(null(), Text)), else_=value)
    return value


def guards_sql(f, value, dialect: str) -> list:
    """Conditions the form checks on a value, as SQL: a record failing one keeps its values (as event time, where
    the form refuses the write)."""
    checks = []
    if f.required:
        checks.append(value.is_not(None))
    kind = f.type
    if kind in ("number", "money", "percent", "date"):
        for bound, op in ((getattr(f, "min", None), "__ge__"), (getattr(f, "max", None), "__le__")):
            if bound is not None:
                limit = literal(float(bound), Float()) if kind != "date" else literal(bound)
                checks.append(or_(value.is_(None), getattr(value, op)(limit)))
    elif kind in ("select", "radio"):
        checks.append(or_(value.is_(None), value.in_([o.value for o in f.options])))
    elif kind in ("text", "long_text"):
        limit = f.max_length or field_type(kind).default_max
        checks.append(or_(value.is_(None), func.length(value) <= limit))
        if getattr(f, "min_length", None):
            checks.append(or_(value.is_(None), func.length(value) >= f.min_length))
    elif kind == "tags":
        length = func.json_array_length(value) if dialect == "sqlite" else func.jsonb_array_length(value)
        checks.append(or_(value.is_(None), length <= f.max_items))
    return checks
