"""The expression language wired to published apps: scopes from definitions, tables from the built schema,
the evaluation context of a request, and compiled expressions cached per app version."""
from __future__ import annotations

from datetime import datetime, timezone

from engines.expr import Compiled, EvalContext, Scope, compile_expression
from runtime.tables import AppSchema


class SchemaTables:
    """engines.expr.sql.Tables over the tables of one published app version."""

    def __init__(self, schema: AppSchema):
        self.schema = schema

    def table(self, form: str):
        return self.schema.forms[form].table

    def column_name(self, form: str, field: str) -> str:
        return self.schema.forms[form].fields[field].column.name

    def link(self, form: str, field: str):
        return self.schema.forms[form].fields[field].link


def scope_of(schema: AppSchema, form: str) -> Scope:
    return Scope({f.key: f for f in schema.definition.forms}, form)


def eval_context(tz, user_id: int | None) -> EvalContext:
    return EvalContext(now=datetime.now(timezone.utc), tz=tz, user_id=user_id)


def compiled(schema: AppSchema, form: str, text: str, expect: str | None = None) -> Compiled:
    """Compile once per app version: the schema object lives as long as its version is cached."""
    cache = schema.__dict__.setdefault("_expressions", {})
    key = (form, text, expect)
    if key not in cache:
        if len(cache) > 500:
            cache.clear()
        cache[key] = compile_expression(text, scope_of(schema, form), expect)
    return cache[key]
