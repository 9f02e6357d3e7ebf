"""A checked recipe turned into rows: the order forms are generated in, and one value generator per field.

Pure: no database. The caller (runtime/demo.py) asks for a form's rows chunk by chunk, writes them, and hands
back the ids (`Pool.add`), so relations of later forms pick among records that exist. Each field draws from its
own random.Random seeded by (seed, form, field): adding a field to a recipe leaves the others' values as they were.
"""
from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterator

from engines.demo.recipe import NUMBER_PATTERN, DemoDef, DemoFormDef, RowsSpec, TallySpec, bounds, options_of
from engines.demo.values import DataGen
from engines.problems import Problem, pointer

Gen = Callable[[dict, int], Any]  # (values generated so far in this row, row number from 1) → value
UNIQUE_TRIES = 1000


# ---- order ---------------------------------------------------------------------------------------------------
def _scope_forms(forms: dict) -> dict:
    from engines.expr import Scope

    return Scope(forms, next(iter(forms), "")).forms if forms else {}


def _spec_items(form_key: str, specs: dict, scope: dict) -> Iterator[tuple[str, Any, Any]]:
    """(form or form.subtable, field definition, spec) for every spec, sub-table rows included."""
    fields = {f.key: f for f in scope[form_key].fields} if form_key in scope else {}
    for key, spec in specs.items():
        f = fields.get(key)
        if f is None:
            continue
        yield form_key, f, spec
        if isinstance(spec, RowsSpec):
            yield from _spec_items(f"{form_key}.{key}", spec.fields, scope)


def _expressions(spec) -> list[str]:
    return [text for text in (getattr(spec, "expr", None), spec.when) if text]


def _paths(form_key: str, text: str, forms: dict) -> set[tuple[str, ...]]:
    from engines.expr import Scope, compile_expression

    return compile_expression(text, Scope(forms, form_key)).paths


def _hops(form_key: str, path: tuple[str, ...], scope: dict) -> Iterator[tuple[str, str]]:
    """(form, field) of each step of a path, following relations and sub-tables."""
    for step in path:
        f = next((x for x in scope[form_key].fields if x.key == step), None) if form_key in scope else None
        if f is None:
            return
        yield form_key, step
        form_key = f.target if f.type == "relation" else f"{form_key}.{step}" if f.type == "subtable" else form_key


def dependencies(demo: DemoDef, forms: dict) -> dict[str, set[str]]:
    """Form → the demo forms that must be generated first (relations, each, tallies, expressions reading them)."""
    scope = _scope_forms(forms)
    deps: dict[str, set[str]] = {}
    for key, recipe in demo.forms.items():
        needs: set[str] = set()
        if recipe.each is not None:
            needs.add(recipe.each.form)
        for where, f, spec in _spec_items(key, recipe.fields, scope):
            if spec.gen == "ref":
                needs.add(f.target)
            if isinstance(spec, TallySpec):
                needs.add(spec.form.split(".")[0])
            for text in _expressions(spec):
                for path in _paths(where, text, forms):
                    needs |= {scope_form.split(".")[0] for scope_form, _ in _hops(where, path, scope)}
        deps[key] = {d for d in needs if d in demo.forms and d != key}
    return deps


def generation_order(demo: DemoDef, forms: dict) -> tuple[list[str], list[str] | None]:
    """The forms in an order where every dependency comes first (recipe order otherwise); or a cycle."""
    return _stable_order(list(demo.forms), dependencies(demo, forms))


def _stable_order(keys: list[str], deps: dict[str, set[str]]) -> tuple[list[str], list[str] | None]:
    """Each key after the keys it depends on, otherwise in the given order; or the first cycle met."""
    done: list[str] = []
    left = list(keys)
    while left:
        ready = next((k for k in left if deps[k] <= set(done)), None)
        if ready is None:
            return done, _cycle(left, deps)
        done.append(ready)
        left.remove(ready)
    return done, None


def _cycle(left: list[str], deps: dict[str, set[str]]) -> list[str]:
    path, node = [], left[0]
    while node not in path:
        path.append(node)
        node = next(d for d in deps[node] if d in left)
    return path[path.index(node):] + [node]


def field_order(form_key: str, specs: dict, forms: dict) -> tuple[list[str], list[str] | None]:
    """The row's fields in an order where each comes after the fields its expression, condition or tally reads
    (the order given otherwise: a definition read back from PostgreSQL's JSONB has its keys in another order)."""
    reads: dict[str, set[str]] = {}
    for key, spec in specs.items():
        needs = {path[0] for text in _expressions(spec) for path in _paths(form_key, text, forms)}
        if isinstance(spec, TallySpec):
            needs.add(spec.match or spec.by)
        reads[key] = {k for k in needs if k in specs and k != key}
    return _stable_order(list(specs), reads)


def order_problems(demo: DemoDef, forms: dict) -> list[Problem]:
    _, cycle = generation_order(demo, forms)
    if cycle is None:
        return []
    return [Problem(pointer("demo", "forms", cycle[0]), "demo_cycle", {"cycle": " → ".join(cycle)})]


def _pareto_weight(rng: random.Random, alpha: float, cap: float, idle: float) -> float:
    """Both draws every time, so every relation with this alpha finds the same busy records, idle share or not."""
    never, weight = rng.random() < idle, rng.paretovariate(alpha)
    return 0 if never else min(weight, cap)


# ---- records to pick from ----------------------------------------------------------------------------------------
class Pool:
    """The records of one form that relations may pick: ids in creation order, and the field values expressions
    of other forms read (`kept`)."""

    def __init__(self, key: str, seed: int):
        self.key, self.seed = key, seed
        self.ids: list[int] = []
        self.kept: dict[int, dict] = {}
        self._weights: dict[tuple, tuple[int, list[float], list[int]]] = {}

    def add(self, ids: list[int], rows: list[dict], keep: set[str]) -> None:
        self.ids.extend(ids)
        if keep:
            for record_id, row in zip(ids, rows):
                self.kept[record_id] = {k: row.get(k) for k in keep}

    def _cumulative(self, dist: str, param: tuple) -> tuple[list[float], list[int]]:
        """Cumulative weights over a fixed shuffle of the pool: the same records are popular in every form that
        links here (the big spenders also claim the most coupons)."""
        n = len(self.ids)
        cached = self._weights.get((dist, param))
        if cached is not None and cached[0] == n:
            return cached[1], cached[2]
        order = list(self.ids)
        random.Random(f"{self.seed}/rank/{self.key}").shuffle(order)
        if dist == "zipf":
            weights = (1 / (k ** param[0]) for k in range(1, n + 1))
        else:
            alpha, cap, idle = param
            rng = random.Random(f"{self.seed}/pareto/{self.key}/{alpha}")
            weights = (_pareto_weight(rng, alpha, cap, idle) for _ in range(n))
        cumulative = list(itertools.accumulate(weights))
        self._weights[(dist, param)] = (n, cumulative, order)
        return cumulative, order

    def pick(self, rng: random.Random, dist: str, param: tuple) -> int | None:
        if not self.ids:
            return None
        if dist == "uniform":
            return self.ids[rng.randrange(len(self.ids))]
        cumulative, order = self._cumulative(dist, param)
        return order[min(bisect.bisect(cumulative, rng.random() * cumulative[-1]), len(order) - 1)]


# ---- one generator per field ---------------------------------------------------------------------------------
class FieldPlan:
    """What a field's generator may use: its own random source, the pools, the day, the app's forms."""

    def __init__(self, plan: "DemoPlan", form_key: str, f, spec):
        self.plan, self.form_key, self.f, self.spec = plan, form_key, f, spec
        self.data = DataGen(f"{plan.demo.seed}/{form_key}/{f.key}")
        self.rng = self.data.rng


def _uniform(rng: random.Random, value) -> float:
    low, high = bounds(value)
    return low if low == high else rng.uniform(low, high)


def _count(rng: random.Random, value) -> int:
    low, high = bounds(value)
    return rng.randint(math.ceil(low), math.floor(high))


def _name(c: FieldPlan) -> Gen:
    return lambda values, n: c.data.name()


def _mobile(c: FieldPlan) -> Gen:
    return lambda values, n: c.data.phone()


def _email(c: FieldPlan) -> Gen:
    return lambda values, n: c.data.email()


def _region(c: FieldPlan) -> Gen:
    if c.f.type == "region":  # the code: the field stores it as it is (names would be parsed per record)
        return lambda values, n: c.data.region_code()
    return lambda values, n: c.data.region()


def _address(c: FieldPlan) -> Gen:
    data, rng = c.data, c.rng
    if c.f.type != "address":
        return lambda values, n: data.address()
    return lambda values, n: {"region": data.region_code(), "detail": f"{data.street()}{rng.randint(1, 30)}栋"
                                                                      f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"}


def _pick(c: FieldPlan) -> Gen:
    spec, rng = c.spec, c.rng
    values = list(spec.values if spec.values is not None else options_of(c.f) or [])
    weights = spec.weights
    many = spec.many if spec.many is not None else ((0, 2) if c.f.type in ("tags", "multi_select") else None)
    cumulative = list(itertools.accumulate(weights)) if weights else None
    if many is None:
        return lambda row, n: rng.choices(values, cum_weights=cumulative)[0]

    def several(row, n):
        k = min(_count(rng, many), len(values))
        chosen: list = []
        while len(chosen) < k:
            value = rng.choices(values, cum_weights=cumulative)[0]
            if value not in chosen:
                chosen.append(value)
        return chosen
    return several


def _cycle_gen(c: FieldPlan) -> Gen:
    values = c.spec.values
    state = {"n": None, "shift": 0}

    def cycle(row, n):
        if state["n"] == n:  # a unique field asking again for the same row: the next value
            state["shift"] += 1
        state["n"] = n
        return values[(n - 1 + state["shift"]) % len(values)]
    return cycle


def _format(c: FieldPlan) -> Gen:
    counter = itertools.count(1)  # a unique field retries with the next number

    def render(row, n):
        number = next(counter)
        return NUMBER_PATTERN.sub(lambda m: str(number).zfill(int(m.group(1) or 0)), c.spec.pattern)
    return render


def _number(c: FieldPlan) -> Gen:
    spec, rng = c.spec, c.rng
    digits = 2 if spec.gen == "money" else spec.decimals

    def number(row, n):
        value = spec.min + (spec.max - spec.min) * rng.random() ** spec.skew
        return round(value) if digits == 0 else round(value, digits)
    return number


def _bool(c: FieldPlan) -> Gen:
    return lambda row, n: c.rng.random() < c.spec.p


def _date(c: FieldPlan) -> Gen:
    low, high = c.spec.days
    today, rng = c.plan.today, c.rng
    if c.spec.gen == "date":
        return lambda row, n: today + timedelta(days=rng.randint(low, high))
    start = datetime.combine(today, time()) + timedelta(days=low)
    end = datetime.combine(today, time()) + timedelta(days=high + 1)
    return lambda row, n: c.data.moment(start, end)


def _ref(c: FieldPlan) -> Gen:
    spec, rng = c.spec, c.rng
    pool = c.plan.pool(c.f.target)
    param = (spec.a,) if spec.dist == "zipf" else (spec.alpha, spec.cap, spec.idle)
    if spec.many is None and not getattr(c.f, "many", False):
        return lambda row, n: pool.pick(rng, spec.dist, param)

    def several(row, n):
        k = min(_count(rng, spec.many if spec.many is not None else (1, 2)), len(pool.ids))
        chosen: list = []
        while len(chosen) < k:
            record = pool.pick(rng, spec.dist, param)
            if record not in chosen:
                chosen.append(record)
        return chosen
    return several


def _expr(c: FieldPlan) -> Gen:
    return c.plan.expression(c.form_key, c.spec.expr)


def _tally(c: FieldPlan) -> Gen:
    spec, rng = c.spec, c.rng
    sums = c.plan.tally(spec.form, spec.field, spec.by)
    match = spec.match or spec.by
    digits = 2 if c.f.type == "money" else 0

    def tally(row, n):
        value = sums.get(row.get(match), 0) * _uniform(rng, spec.times) + _uniform(rng, spec.plus)
        return round(value) if digits == 0 else round(value, digits)
    return tally


def _value(c: FieldPlan) -> Gen:
    return lambda row, n: c.spec.value


def _rows(c: FieldPlan) -> Gen:
    child = f"{c.form_key}.{c.f.key}"
    fill = c.plan.row_filler(child, c.spec.fields)
    rng = c.rng

    count, distinct = c.plan.counter(child), c.spec.distinct

    def rows(row, n):
        made, seen = [], set()
        for i in range(1, _count(rng, c.spec.count) + 1):
            for _ in range(20 if distinct else 1):  # tries for an unused value; a record may get fewer rows
                new = fill({}, i)
                if distinct is None or new.get(distinct) not in seen:
                    seen.add(new.get(distinct))
                    made.append(new)
                    count(new)
                    break
        return made
    return rows


GENERATORS: dict[str, Callable[[FieldPlan], Gen]] = {
    "name": _name, "mobile": _mobile, "email": _email, "region": _region, "address": _address, "pick": _pick,
    "cycle": _cycle_gen, "format": _format, "number": _number, "money": _number, "bool": _bool, "date": _date,
    "datetime": _date, "ref": _ref, "expr": _expr, "tally": _tally, "value": _value, "rows": _rows,
}


# ---- the plan ------------------------------------------------------------------------------------------------
class DemoPlan:
    """Rows for each form of a checked recipe, in generation order.

    `taken` holds the values unique fields already have in the database ((form, field) → set), so generated
    ones never collide with seed records. `evaluate(compiled, env)` runs an expression (the caller supplies the
    evaluation context)."""

    def __init__(self, demo: DemoDef, forms: list, scale: float = 1, today: date | None = None,
                 evaluate: Callable | None = None, taken: dict | None = None):
        self.demo, self.scale = demo, scale
        self.forms = {f.key: f for f in forms}
        self.scope = _scope_forms(self.forms)
        self.today = today or date.today()
        if evaluate is None:  # expressions in UTC, as a server without a configured zone
            from engines.expr import EvalContext

            ctx = EvalContext(now=datetime.now(timezone.utc), tz=timezone.utc, user_id=None)
            evaluate = lambda compiled, env: compiled.evaluate(env, ctx)  # noqa: E731
        self.evaluate = evaluate
        self.taken = taken or {}
        self.pools: dict[str, Pool] = {}
        self.keep: dict[str, set[str]] = defaultdict(set)  # form → fields expressions elsewhere read
        self.tallies: dict[tuple[str, str, str], Counter] = {}
        self.order, cycle = generation_order(demo, self.forms)
        if cycle:
            raise ValueError(f"demo forms depend on each other in a cycle: {cycle}")
        self._kept_fields()
        for key, recipe in demo.forms.items():  # before any rows: the counted form may come first
            for _where, _f, spec in _spec_items(key, recipe.fields, self.scope):
                if isinstance(spec, TallySpec):
                    self.tally(spec.form, spec.field, spec.by)

    def _kept_fields(self) -> None:
        """Fields of linked records that expressions read (product.price): kept in memory as records are made."""
        for key, recipe in self.demo.forms.items():
            for where, _f, spec in _spec_items(key, recipe.fields, self.scope):
                for text in _expressions(spec):
                    for path in _paths(where, text, self.forms):
                        hops = list(_hops(where, path, self.scope))
                        for (form, step), (before_form, before_step) in zip(hops[1:], hops):
                            if self._field(before_form, before_step).type == "relation":
                                self.keep[form].add(step)

    def _field(self, form_key: str, key: str):
        return next(f for f in self.scope[form_key].fields if f.key == key)

    def pool(self, key: str) -> Pool:
        return self.pools.setdefault(key, Pool(key, self.demo.seed))

    def tally(self, form: str, field: str, by: str) -> Counter:
        return self.tallies.setdefault((form, field, by), Counter())

    def count(self, key: str) -> int:
        """Records of a count-based form at this scale (at least one when the recipe asks for any)."""
        recipe = self.demo.forms[key]
        if not recipe.scale or not recipe.count:
            return recipe.count or 0
        return max(1, round(recipe.count * self.scale))

    # ---- rows ------------------------------------------------------------------------------------------------
    def rows(self, key: str) -> Iterator[dict]:
        """Every record of the form, generated lazily (the caller writes them in chunks)."""
        recipe: DemoFormDef = self.demo.forms[key]
        fill, count = self.row_filler(key, recipe.fields), self.counter(key)
        if recipe.each is None:
            for n in range(1, self.count(key) + 1):
                count(row := fill({}, n))
                yield row
            return
        rng = random.Random(f"{self.demo.seed}/{key}/each")
        n = 0
        for parent in list(self.pool(recipe.each.form).ids):
            for _ in range(_count(rng, recipe.each.rows)):
                n += 1
                count(row := fill({recipe.each.field: parent}, n))
                yield row

    def row_filler(self, form_key: str, specs: dict) -> Callable[[dict, int], dict]:
        fields = {f.key: f for f in self.scope[form_key].fields}
        order, _ = field_order(form_key, specs, self.forms)
        steps = [(key, self._field_gen(form_key, fields[key], specs[key])) for key in order]

        def fill(values: dict, n: int) -> dict:
            for key, gen in steps:
                values[key] = gen(values, n)
            return {k: v for k, v in values.items() if v is not None}
        return fill

    def counter(self, form_key: str) -> Callable[[dict], None]:
        """Adds a kept row of the form (or sub-table) to the tallies that count it (stock received covers what
        was sold)."""
        counted = [(field, by, sums) for (form, field, by), sums in self.tallies.items() if form == form_key]

        def count(values: dict) -> None:
            for field, by, sums in counted:
                if values.get(by) is not None and values.get(field) is not None:
                    sums[values[by]] += values[field]
        return count

    def _field_gen(self, form_key: str, f, spec) -> Gen:
        c = FieldPlan(self, form_key, f, spec)
        gen = GENERATORS[spec.gen](c)
        if getattr(f, "unique", False):
            gen = self._unique(gen, self.taken.setdefault((form_key, f.key), set()), form_key, f.key)
        rng, blank = c.rng, spec.blank
        when = self.expression(form_key, spec.when) if spec.when else None
        if not blank and when is None:
            return gen

        def guarded(values: dict, n: int):
            if blank and rng.random() < blank:
                return None
            if when is not None and when(values, n) is not True:
                return None
            return gen(values, n)
        return guarded

    @staticmethod
    def _unique(gen: Gen, taken: set, form_key: str, key: str) -> Gen:
        def unique(values, n):
            for _ in range(UNIQUE_TRIES):
                value = gen(values, n)
                if value is None or value not in taken:
                    if value is not None:
                        taken.add(value)
                    return value
            raise UniqueExhausted(form_key, key)
        return unique

    # ---- expressions -------------------------------------------------------------------------------------------
    def expression(self, form_key: str, text: str) -> Gen:
        from engines.expr import Scope, compile_expression

        compiled = compile_expression(text, Scope(self.forms, form_key))
        tree: dict = {}
        for path in compiled.paths:
            node = tree
            for part in path:
                node = node.setdefault(part, {})
        evaluate = self.evaluate
        if not self._links_in(form_key, tree):  # reads only the row's own values (and sub-table rows)
            return lambda values, n: evaluate(compiled, values)
        return lambda values, n: evaluate(compiled, self._env(form_key, values, tree))

    def _fields_of(self, form_key: str) -> dict:
        cache = self.__dict__.setdefault("_fields", {})
        if form_key not in cache:
            cache[form_key] = {f.key: f for f in self.scope[form_key].fields}
        return cache[form_key]

    def _links_in(self, form_key: str, tree: dict) -> bool:
        """Whether a path read goes through a relation (then linked records are loaded into the row)."""
        fields = self._fields_of(form_key)
        for key, subtree in tree.items():
            f = fields.get(key)
            if f is not None and subtree and (f.type == "relation" or
                                              f.type == "subtable" and self._links_in(f"{form_key}.{key}", subtree)):
                return True
        return False

    def _env(self, form_key: str, values: dict, tree: dict) -> dict:
        """The row as the expression engine reads a record: linked records (their kept fields) loaded in."""
        env = dict(values)
        fields = self._fields_of(form_key)
        for key, subtree in tree.items():
            f = fields.get(key)
            if f is None or not subtree or env.get(key) is None:
                continue
            if f.type == "relation" and not getattr(f, "many", False):
                linked = self.pool(f.target).kept.get(env[key])
                env[key] = self._env(f.target, linked, subtree) if linked is not None else None
            elif f.type == "subtable":
                env[key] = [self._env(f"{form_key}.{key}", row, subtree) for row in env[key]]
        return env


class UniqueExhausted(Exception):
    """A unique field's generator kept giving values already used."""

    def __init__(self, form_key: str, key: str):
        super().__init__(f"{form_key}.{key}")
        self.form_key, self.key = form_key, key
