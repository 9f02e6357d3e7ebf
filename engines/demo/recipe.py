"""The `demo` section of an app: how many records of each form to make and how to fill each field (docs/demo-data.md).

    "demo": {"seed": 7, "forms": {
      "customer": {"count": 2000, "fields": {"name": {"gen": "name"}, "leader": {"gen": "ref", "dist": "zipf"}}},
      "stock_move": {"each": {"form": "product", "field": "product"},
                     "fields": {"qty": {"gen": "tally", "form": "order.lines", "field": "qty", "by": "product"}}}}}

Counts are multiplied by the scale asked for (`nocode import-template … --demo-data --scale 10`) unless a form says
`"scale": false`. The models here are the format; `demo_problems` checks a recipe against the app's forms.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.problems import MESSAGES, Problem, pointer, schema_location, schema_problem

MESSAGES.update({
    "demo_unknown_gen": ("没有生成器「{value}」（可用：{known}）", "there is no generator {value!r} (known: {known})"),
    "demo_unknown_form": ("演示数据：没有表单「{key}」", "demo data: there is no form {key!r}"),
    "demo_generated_field": ("「{key}」由系统计算或生成，演示数据不能填写", "{key!r} is computed or set by the system; demo data cannot fill it"),
    "demo_gen_type": ("生成器「{gen}」不适用于「{type}」类型的字段（适用：{types}）", "generator {gen!r} does not fit a {type} field (it fits: {types})"),
    "demo_not_option": ("「{value}」不是此字段的选项（可选：{options}）", "{value!r} is not one of the field's options ({options})"),
    "demo_no_values": ("此字段没有选项，请给出 values", "the field has no options; give values"),
    "demo_weights": ("weights 应有 {expected} 个（与取值一一对应），收到 {count} 个", "weights must have {expected} entries (one per value), got {count}"),
    "demo_range": ("范围的最小值 {low} 大于最大值 {high}", "the range's minimum {low} is above its maximum {high}"),
    "demo_count_or_each": ("请给出 count（条数）或 each（按另一表单逐条生成）之一", "give either count (how many) or each (rows per record of another form)"),
    "demo_each_field": ("「{key}」不是指向「{form}」的单条关联字段", "{key!r} is not a one-record relation to {form!r}"),
    "demo_each_given": ("「{key}」由 each 填写，不能再给生成器", "{key!r} is filled by each; it takes no generator"),
    "demo_no_source": ("关联的表单「{form}」既无演示数据也无种子数据，无记录可选", "the related form {form!r} has neither demo nor seed records to pick from"),
    "demo_cycle": ("演示数据的表单互相依赖，无法排出生成顺序：{cycle}", "demo forms depend on each other in a cycle: {cycle}"),
    "demo_reads_computed": ("「{path}」是计算字段，生成时还没有值", "{path!r} is a computed field and has no value while generating"),
    "demo_reads_unset": ("「{key}」不在本记录的生成字段中（只能读取 fields 里给了生成器的字段）", "{key!r} is not generated in this record (only fields given a generator can be read)"),
    "demo_field_cycle": ("字段互相依赖，无法排出生成顺序：{cycle}", "fields read each other in a cycle: {cycle}"),
    "demo_tally_source": ("「{path}」不是已生成的数字字段或关联字段", "{path!r} is not a generated number or relation field"),
    "demo_pattern": ("格式只能含 {{n}} 或 {{n:05}}（序号，可补零）", "a pattern may only hold {{n}} or {{n:05}} (the row number, zero-padded)"),
    "demo_many": ("「{key}」是单条关联，不能给 many", "{key!r} links one record; many does not apply"),
    "demo_unique_exhausted": ("无法为唯一字段生成更多不重复的值（已尝试 {tries} 次）", "cannot generate another unused value for this unique field (tried {tries} times)"),
    "demo_above_max": ("演示数据生成后有 {count} 条记录的「{key}」大于 {limit}", "after the demo load {count} records have {key!r} above {limit}"),
    "demo_below_min": ("演示数据生成后有 {count} 条记录的「{key}」小于 {limit}（如库存为负）", "after the demo load {count} records have {key!r} below {limit} (e.g. negative stock)"),
})

Number = Union[int, float]
Range = Union[Number, tuple[Number, Number]]  # one value, or [min, max]


def bounds(value: Range) -> tuple[float, float]:
    return (value, value) if isinstance(value, (int, float)) else (value[0], value[1])


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    blank: float = Field(default=0, ge=0, le=1, description="share of records left empty")
    when: str | None = Field(default=None, max_length=2000,
                             description="condition over the row's other generated values; empty when it does not "
                                         "hold (fields are generated after the ones they read)")


class NameSpec(Spec):
    gen: Literal["name"]


class MobileSpec(Spec):
    gen: Literal["mobile"]


class EmailSpec(Spec):
    gen: Literal["email"]


class RegionSpec(Spec):
    gen: Literal["region"]


class AddressSpec(Spec):
    gen: Literal["address"]


class PickSpec(Spec):
    gen: Literal["pick"]
    values: list[Any] | None = Field(default=None, min_length=1, max_length=10000,
                                     description="what to pick from; the field's options when left out")
    weights: list[float] | None = Field(default=None, description="one weight per value (all equal when left out)")
    many: Range | None = Field(default=None, description="for multiple choice and tags: how many, [min, max]")


class CycleSpec(Spec):
    gen: Literal["cycle"]
    values: list[Any] = Field(min_length=1, max_length=10000, description="taken in turn, from the first again")


class FormatSpec(Spec):
    gen: Literal["format"]
    pattern: str = Field(min_length=1, max_length=200, description="text with {n} (the row number) or {n:05}")


class NumberSpec(Spec):
    gen: Literal["number"]
    min: float = 0
    max: float = 100
    decimals: int = Field(default=0, ge=0, le=6)
    skew: float = Field(default=1, gt=0, le=10, description="above 1: values gather at the low end")


class MoneySpec(Spec):
    gen: Literal["money"]
    min: float = 0
    max: float = 1000
    skew: float = Field(default=2, gt=0, le=10, description="above 1: small amounts far more often than big ones")


class BoolSpec(Spec):
    gen: Literal["bool"]
    p: float = Field(default=0.5, ge=0, le=1, description="share of true")


class DateSpec(Spec):
    gen: Literal["date"]
    days: tuple[int, int] = Field(default=(-365, 0), description="[from, to] in days relative to today")


class DateTimeSpec(Spec):
    gen: Literal["datetime"]
    days: tuple[int, int] = Field(default=(-365, 0), description="[from, to] in days relative to today; "
                                                                 "the hour follows a day's shopping curve")


class RefSpec(Spec):
    gen: Literal["ref"]
    dist: Literal["uniform", "zipf", "pareto"] = Field(
        default="uniform", description="zipf: the k-th most popular record is picked ∝ 1/k^a (products); pareto: "
                                       "each record gets a Pareto(alpha) weight, a few very busy ones (customers)")
    a: float = Field(default=1.0, gt=0, le=5, description="zipf exponent")
    alpha: float = Field(default=1.6, gt=0.5, le=10, description="pareto shape: lower, heavier repeat buyers")
    cap: float = Field(default=30, ge=1, le=10000, description="pareto: the busiest record is picked at most this "
                                                               "many times as often as the quietest")
    idle: float = Field(default=0, ge=0, lt=1, description="pareto: share of records never picked (customers "
                                                           "who never ordered)")
    many: Range | None = Field(default=None, description="many-relations: how many records, [min, max]")


class ExprSpec(Spec):
    gen: Literal["expr"]
    expr: str = Field(min_length=1, max_length=2000, description="over the row's values generated before it and "
                                                                 "the records they link to: product.price")


class TallySpec(Spec):
    gen: Literal["tally"]
    form: str = Field(min_length=1, max_length=200, description="the form (or form.subtable) whose rows are counted")
    field: str = Field(min_length=1, max_length=100, description="the number summed there")
    by: str = Field(min_length=1, max_length=100, description="its relation field grouping the sum")
    match: str | None = Field(default=None, description="this row's relation field naming the group (default: by)")
    times: Range = Field(default=1, description="the sum is multiplied by a factor from this range")
    plus: Range = Field(default=0, description="and this is added")


class ValueSpec(Spec):
    gen: Literal["value"]
    value: Any


class RowsSpec(Spec):
    gen: Literal["rows"]
    count: Range = Field(default=(1, 3), description="rows per record, [min, max]")
    distinct: str | None = Field(default=None, description="a field whose value no two rows of a record share "
                                                           "(a product once per order)")
    fields: dict[str, "FieldSpec"] = Field(default_factory=dict)


FieldSpec = Annotated[Union[NameSpec, MobileSpec, EmailSpec, RegionSpec, AddressSpec, PickSpec, CycleSpec, FormatSpec,
                            NumberSpec, MoneySpec, BoolSpec, DateSpec, DateTimeSpec, RefSpec, ExprSpec, TallySpec,
                            ValueSpec, RowsSpec], Field(discriminator="gen")]
RowsSpec.model_rebuild()


class EachDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: str = Field(min_length=1, max_length=100)
    field: str = Field(min_length=1, max_length=100, description="this form's relation to it, filled per record")
    rows: Range = Field(default=1, description="rows per record of that form, [min, max]")


class DemoFormDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int | None = Field(default=None, ge=0, le=100_000_000, description="records at scale 1")
    scale: bool = Field(default=True, description="multiply count by --scale")
    each: EachDef | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_way(self) -> "DemoFormDef":
        if (self.count is None) == (self.each is None):
            raise ValueError("give either count or each")
        return self


class DemoDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = Field(default=20240601, description="the same seed (and scale and day) gives the same records")
    forms: dict[str, DemoFormDef] = Field(default_factory=dict)


# ---- which generator fits which field type -----------------------------------------------------------------------
_TEXT = {"text", "long_text", "rich_text"}
_NUMBERS = {"number", "money", "percent", "rating", "slider", "duration"}
_CHOICE = {"select", "radio", "multi_select", "tags"}
FITS: dict[str, set[str] | None] = {  # None: any field that stores a value
    "name": _TEXT,
    "mobile": _TEXT | {"phone"},
    "email": _TEXT | {"email"},
    "region": _TEXT | {"region"},
    "address": _TEXT | {"address"},
    "pick": None, "cycle": None, "format": _TEXT | {"phone", "url", "barcode", "wechat", "id_number"},
    "number": _NUMBERS, "money": _NUMBERS, "bool": {"checkbox", "switch"},
    "date": {"date", "datetime"}, "datetime": {"datetime", "date"},
    "ref": {"relation"}, "expr": None, "tally": _NUMBERS, "value": None, "rows": {"subtable"},
}
NUMBER_PATTERN = re.compile(r"\{n(?::0?(\d{1,2}))?\}")


def is_generated(f) -> bool:
    from engines.form.fields import field_type

    return field_type(f.type).is_generated


def options_of(f) -> list | None:
    options = getattr(f, "options", None)
    if not options:
        return None
    return [o.value if hasattr(o, "value") else o for o in options]


def _range_problems(value, path: str) -> list[Problem]:
    if value is None or isinstance(value, (int, float)):
        return []
    low, high = value
    return [Problem(path, "demo_range", {"low": low, "high": high})] if low > high else []


class _Checker:
    """Checks a parsed recipe against the app's forms; every problem with its JSON pointer under /demo."""

    def __init__(self, demo: DemoDef, forms: dict, has_data: set[str]):
        from engines.expr import Scope

        self.demo, self.forms, self.has_data = demo, forms, has_data
        self.scope_forms = Scope(forms, next(iter(forms), "")).forms if forms else {}
        self.problems: list[Problem] = []

    def add(self, at: str, code: str, **params) -> None:
        self.problems.append(Problem(at, code, params))

    def run(self) -> list[Problem]:
        for key, recipe in self.demo.forms.items():
            here = pointer("demo", "forms", key)
            form = self.forms.get(key)
            if form is None:
                self.add(here, "demo_unknown_form", key=key)
                continue
            fields = {f.key: f for f in form.fields}
            given = list(recipe.fields)
            if recipe.each is not None:
                self._each(recipe.each, fields, here + "/each")
                if recipe.each.field in recipe.fields:
                    self.add(here + pointer("fields", recipe.each.field), "demo_each_given", key=recipe.each.field)
                given = [recipe.each.field] + given
            self._fields(key, fields, recipe.fields, here + "/fields", given)
            if not self.problems:
                from engines.demo.plan import field_order

                _order, cycle = field_order(key, recipe.fields, self.forms)
                if cycle:
                    self.add(here + "/fields", "demo_field_cycle", cycle=" → ".join(cycle))
        if not self.problems:
            from engines.demo.plan import order_problems

            self.problems += order_problems(self.demo, self.forms)
        return self.problems

    def _each(self, each: EachDef, fields: dict, path: str) -> None:
        if each.form not in self.forms or each.form not in self.demo.forms and each.form not in self.has_data:
            self.add(path + "/form", "demo_unknown_form" if each.form not in self.forms else "demo_no_source",
                     key=each.form, form=each.form)
        f = fields.get(each.field)
        if f is None or f.type != "relation" or f.target != each.form or getattr(f, "many", False):
            self.add(path + "/field", "demo_each_field", key=each.field, form=each.form)
        self.problems.extend(_range_problems(each.rows, path + "/rows"))

    def _fields(self, form_key: str, fields: dict, specs: dict, path: str, order: list[str]) -> None:
        for key, spec in specs.items():
            here = path + pointer(key)
            f = fields.get(key)
            if f is None:
                self.add(here, "unknown_field", form=form_key, key=key)
                continue
            if is_generated(f):
                self.add(here, "demo_generated_field", key=key)
                continue
            fits = FITS[spec.gen]
            if fits is not None and f.type not in fits:
                self.add(here + "/gen", "demo_gen_type", gen=spec.gen, type=f.type, types=", ".join(sorted(fits)))
                continue
            before = [k for k in order if k != key]
            for attr in ("when",):
                if getattr(spec, attr):
                    self._expr(form_key, getattr(spec, attr), here + "/" + attr, before, fields, "bool")
            check = getattr(self, f"_gen_{spec.gen}", None)
            if check is not None:
                check(form_key, f, spec, here, before, fields)

    # per generator ------------------------------------------------------------------------------------------------
    def _gen_pick(self, form_key, f, spec: PickSpec, here, before, fields) -> None:
        options = options_of(f)
        if spec.values is None and options is None:
            self.add(here + "/values", "demo_no_values")
        if spec.values is not None and options is not None and f.type != "tags":
            for i, value in enumerate(spec.values):
                if value not in options:
                    self.add(here + pointer("values", i), "demo_not_option", value=value,
                             options=", ".join(map(str, options)))
        expected = len(spec.values or options or [])
        if spec.weights is not None and len(spec.weights) != expected:
            self.add(here + "/weights", "demo_weights", expected=expected, count=len(spec.weights))
        self.problems.extend(_range_problems(spec.many, here + "/many"))

    def _gen_cycle(self, form_key, f, spec: CycleSpec, here, before, fields) -> None:
        options = options_of(f)
        if options is not None and f.type != "tags":
            for i, value in enumerate(spec.values):
                if value not in options:
                    self.add(here + pointer("values", i), "demo_not_option", value=value,
                             options=", ".join(map(str, options)))

    def _gen_format(self, form_key, f, spec: FormatSpec, here, before, fields) -> None:
        if "{" in NUMBER_PATTERN.sub("", spec.pattern) or "}" in NUMBER_PATTERN.sub("", spec.pattern):
            self.add(here + "/pattern", "demo_pattern")

    def _gen_number(self, form_key, f, spec, here, before, fields) -> None:
        if spec.min > spec.max:
            self.add(here + "/min", "demo_range", low=spec.min, high=spec.max)

    _gen_money = _gen_number

    def _gen_date(self, form_key, f, spec, here, before, fields) -> None:
        self.problems.extend(_range_problems(tuple(spec.days), here + "/days"))

    _gen_datetime = _gen_date

    def _gen_ref(self, form_key, f, spec: RefSpec, here, before, fields) -> None:
        if f.target not in self.demo.forms and f.target not in self.has_data:
            self.add(here, "demo_no_source", form=f.target)
        if spec.many is not None and not getattr(f, "many", False):
            self.add(here + "/many", "demo_many", key=f.key)
        self.problems.extend(_range_problems(spec.many, here + "/many"))

    def _expr(self, form_key, text, here, before, fields, expect=None) -> None:
        from engines.expr import ExprError, Scope, compile_expression

        try:
            compiled = compile_expression(text, Scope(self.forms, form_key), expect)
        except ExprError as e:
            self.problems.append(e.problem(here))
            return
        for path in sorted(compiled.paths):
            if path[0] not in before:
                self.add(here, "demo_reads_unset", key=path[0])
                continue
            # the last field read must have a generated value (computed ones are filled after the load)
            target = self._follow(form_key, path)
            if target is not None and is_generated(target):
                self.add(here, "demo_reads_computed", path=".".join(path))

    def _follow(self, form_key: str, path: tuple[str, ...]):
        forms = self.scope_forms
        f = None
        for step in path:
            fields = {x.key: x for x in forms[form_key].fields} if form_key in forms else {}
            f = fields.get(step)
            if f is None:
                return None
            form_key = f.target if f.type == "relation" else f"{form_key}.{f.key}" if f.type == "subtable" else form_key
        return f

    def _gen_expr(self, form_key, f, spec: ExprSpec, here, before, fields) -> None:
        self._expr(form_key, spec.expr, here + "/expr", before, fields)

    def _gen_tally(self, form_key, f, spec: TallySpec, here, before, fields) -> None:
        source = self.scope_forms.get(spec.form)
        base = spec.form.split(".")[0]
        source_fields = {x.key: x for x in source.fields} if source is not None else {}
        number, by = source_fields.get(spec.field), source_fields.get(spec.by)
        if source is None or base not in self.demo.forms:
            self.add(here + "/form", "demo_tally_source", path=spec.form)
        else:
            if number is None or is_generated(number):
                self.add(here + "/field", "demo_tally_source", path=f"{spec.form}.{spec.field}")
            if by is None or by.type != "relation":
                self.add(here + "/by", "demo_tally_source", path=f"{spec.form}.{spec.by}")
        match = spec.match or spec.by
        if match not in fields or fields[match].type != "relation" or match not in before:
            self.add(here + "/match", "demo_reads_unset", key=match)
        self.problems.extend(_range_problems(spec.times, here + "/times"))
        self.problems.extend(_range_problems(spec.plus, here + "/plus"))

    def _gen_rows(self, form_key, f, spec: RowsSpec, here, before, fields) -> None:
        child = f"{form_key}.{f.key}"
        self.problems.extend(_range_problems(spec.count, here + "/count"))
        child_fields = {x.key: x for x in f.fields}
        self._fields(child, child_fields, spec.fields, here + "/fields", list(spec.fields))
        if spec.distinct is not None and spec.distinct not in spec.fields:
            self.add(here + "/distinct", "demo_reads_unset", key=spec.distinct)
        if not self.problems:
            from engines.demo.plan import field_order

            _order, cycle = field_order(child, spec.fields, self.forms)
            if cycle:
                self.add(here + "/fields", "demo_field_cycle", cycle=" → ".join(cycle))


def problem_from_pydantic(err: dict) -> Problem:
    """A schema error in the demo section at its place: the generator name pydantic puts into the location of a
    tagged union (…/fields/level/pick/values) left out, an unknown or missing generator named as such."""
    loc = schema_location(err, lambda loc, i: loc[i] in FITS and i > 0 and loc[i - 1] != "fields")
    if err["type"] == "union_tag_not_found":
        return Problem(pointer(*loc, "gen"), "demo_unknown_gen", {"value": "", "known": ", ".join(FITS)})
    if err["type"] == "value_error" and "count or each" in err["msg"]:
        return Problem(pointer(*loc), "demo_count_or_each")
    return schema_problem(err, loc, "gen", "demo_unknown_gen", FITS)


def demo_problems(demo: DemoDef | None, forms: list, data: dict | None) -> list[Problem]:
    """Everything wrong with a recipe, against the app's forms (FormDef list) and seed data."""
    if demo is None:
        return []
    return _Checker(demo, {f.key: f for f in forms}, set(data or {})).run()
