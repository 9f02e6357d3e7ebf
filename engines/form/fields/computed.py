"""Lookup and rollup fields: values read from linked records, stored so they sort, filter and feed formulas.

Both are generated. Their column type follows the field they read, which lives in another form, so the
definition is resolved against the whole app (engines.form.computed.resolve) before storage is asked for.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr

from engines.form.fields.base import KEY_PATTERN, FieldBase, FieldError, FieldType
from engines.problems import Problem

PATH_PATTERN = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39}){0,3}$"
SOURCE_PATTERN = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39})?$"  # a form, or its sub-table: order.lines
AGGREGATES = ("count", "sum", "avg", "min", "max")


class GuardedDef(FieldBase):
    """A formula or rollup with `min`/`max` is a constraint: a write that would move some record's value
    out of bounds is refused as a whole (runtime/computed.py), with `message` if given (已售罄)."""
    min: float | None = Field(default=None, description="a write that would make the value smaller is refused")
    max: float | None = Field(default=None, description="a write that would make the value larger is refused")
    message: str | None = Field(default=None, min_length=1, max_length=200,
                                description="shown instead of the built-in text when a write is refused")

    @property
    def guarded(self) -> bool:
        return self.min is not None or self.max is not None


def guard_problems(f) -> list[Problem]:
    """Bounds that leave room for a value, and a message only with a bound to explain."""
    from engines.form.fields.number import plain

    if f.min is not None and f.max is not None and f.min > f.max:
        return [Problem("/max", "bad_range", {"min": plain(f.min), "max": plain(f.max)})]
    if f.message is not None and not f.guarded:
        return [Problem("/message", "guard_message_alone")]
    return []


class LookupDef(FieldBase):
    relation: str = Field(pattern=KEY_PATTERN, description="a one-record relation field of this form")
    field: str = Field(pattern=PATH_PATTERN, description="field of the linked record, or a path through its "
                                                         "relations such as leader.level")
    # the field read at the end of the path and its form, set by engines.form.computed.resolve
    _source: Any = PrivateAttr(default=None)
    _source_form: str | None = PrivateAttr(default=None)


class RollupDef(GuardedDef):
    source: str | None = Field(default=None, pattern=SOURCE_PATTERN,
                               description="the form whose records are aggregated (with `via`), or another form's "
                                           "sub-table such as order.lines")
    via: str | None = Field(default=None, pattern=KEY_PATTERN,
                            description="the relation field of `source` that points at this form")
    relation: str | None = Field(default=None, pattern=KEY_PATTERN,
                                 description="or: a sub-table or many-relation field of this form")
    agg: Literal["count", "sum", "avg", "min", "max"]
    field: str | None = Field(default=None, pattern=PATH_PATTERN,
                              description="the aggregated field of the source records (not needed to count)")
    filter: str | None = Field(default=None, max_length=4000,
                               description="an expression over the source records: only those it holds for count")
    parent_filter: str | None = Field(default=None, max_length=4000,
                                      description="when `source` is a sub-table: an expression over the record each "
                                                  "row belongs to (the order): only rows of records it holds for count")
    decimals: int | None = Field(default=None, ge=0, le=10)
    _source: Any = PrivateAttr(default=None)
    _source_form: str | None = PrivateAttr(default=None)


def _source_type(f):
    from engines.form.fields import field_type

    source = f._source
    return (field_type(source.type), source) if source is not None else (None, None)


class Lookup(FieldType):
    key = "lookup"
    label = ("查找引用", "Lookup")
    icon = "SearchOutlined"
    storage = "text"
    props = LookupDef
    widget = "lookup"
    is_generated = True
    unique_ok = False
    expr_kind = "any"  # the looked-up field's; the expression scope resolves it

    def storage_for(self, f):
        ftype, source = _source_type(f)
        return ftype.storage_for(source) if ftype is not None else None

    def coerce(self, f, value, ctx):
        raise FieldError("generated")

    def dump(self, f, stored, ctx):
        ftype, source = _source_type(f)
        return ftype.dump(source, stored, ctx) if ftype is not None and stored is not None else stored


class Rollup(FieldType):
    key = "rollup"
    label = ("汇总", "Rollup")
    icon = "FunctionOutlined"
    storage = "float"
    props = RollupDef
    widget = "rollup"
    is_generated = True
    unique_ok = False
    expr_kind = "number"

    def storage_for(self, f):
        if f.agg == "count":
            return "integer"
        ftype, source = _source_type(f)
        if ftype is None:
            return "float"
        storage = ftype.storage_for(source)
        if f.agg in ("min", "max"):
            return storage
        return "decimal" if storage == "decimal" and f.agg == "sum" else "float"

    def coerce(self, f, value, ctx):
        raise FieldError("generated")

    def check_def(self, f):
        return guard_problems(f)

    def dump(self, f, stored, ctx):
        if stored is None:
            return None
        if f.agg == "count":
            return int(stored)
        ftype, source = _source_type(f)
        if ftype is not None and (f.agg in ("min", "max") or self.storage_for(f) == "decimal"):
            return ftype.dump(source, stored, ctx)  # dates stay dates, money stays money
        from engines.form.fields.number import plain

        if f.decimals is not None:
            return plain(round(float(stored), f.decimals))
        return plain(stored)
