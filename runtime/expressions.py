"""The expression language wired to published apps: scopes from definitions, tables from the built schema,
the evaluation context of a request, and compiled expressions cached per app version."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import select

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


def path_tree(paths) -> dict:
    """{("customer", "leader", "name"), ("lines", "qty")} → {"customer": {"leader": {"name": {}}}, "lines": {"qty": {}}}"""
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


async def record_envs(conn, schema: AppSchema, form_key: str, ids: list[int], paths) -> dict[int, dict]:
    """Records as the Python back end reads them: stored values by field key, with the linked records,
    sub-table rows and many-links that `paths` reach loaded in — one query per step, for all ids at once."""
    form = schema.forms[form_key]
    rows = (await conn.execute(select(form.table).where(form.table.c.id.in_(ids)))).mappings().all() if ids else []
    envs = {row["id"]: _env(form, row) for row in rows}
    await _expand(conn, schema, form, list(envs.values()), path_tree(paths))
    return envs


def _env(form, row) -> dict:
    env = {key: row[name] for key, name in form.columns}
    for key in ("id", "created_at", "updated_at", "created_by", "updated_by", "owner", "version", "parent_id"):
        if key in row:
            env[key] = row[key]
    return env


async def _expand(conn, schema: AppSchema, form, envs: list[dict], tree: dict) -> None:
    for key, subtree in tree.items():
        store = form.fields.get(key)
        if store is None or not envs:
            continue
        if store.child is not None:
            child = store.child
            ids = [env["id"] for env in envs]
            rows = (await conn.execute(select(child.table).where(child.table.c.parent_id.in_(ids))
                                       .order_by(child.table.c.position, child.table.c.id))).mappings().all()
            by_parent = defaultdict(list)
            for row in rows:
                by_parent[row["parent_id"]].append(_env(child, row))
            for env in envs:
                env[key] = by_parent.get(env["id"], [])
            await _expand(conn, schema, child, [r for rs in by_parent.values() for r in rs], subtree)
        elif store.link is not None:
            ids = [env["id"] for env in envs]
            links = (await conn.execute(select(store.link.c.source_id, store.link.c.target_id)
                                        .where(store.link.c.source_id.in_(ids))
                                        .order_by(store.link.c.position, store.link.c.target_id))).all()
            targets = await _load(conn, store.target, {t for _, t in links})
            by_source = defaultdict(list)
            for source, target in links:
                if target in targets:
                    by_source[source].append(targets[target])
            for env in envs:
                env[key] = by_source.get(env["id"], [])
            await _expand(conn, schema, store.target, list(targets.values()), subtree)
        elif store.target is not None and subtree:
            targets = await _load(conn, store.target, {env[key] for env in envs if env.get(key) is not None})
            for env in envs:
                env[key] = targets.get(env.get(key))
            await _expand(conn, schema, store.target, list(targets.values()), subtree)


async def _load(conn, form, ids: set) -> dict[int, dict]:
    if not ids:
        return {}
    rows = (await conn.execute(select(form.table).where(form.table.c.id.in_(list(ids))))).mappings().all()
    return {row["id"]: _env(form, row) for row in rows}
