"""add_tag and remove_tag on a tags field (a JSON list): in Python for one record, with each database's JSON
functions for a batch (PostgreSQL jsonb operators, SQLite json1). Both leave a list that already has (or lacks)
the tag as it is, so running a rule again changes nothing, and an emptied list is empty (NULL), as a form saves it."""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlalchemy import Text, case, cast, func, literal, null, select
from sqlalchemy.dialects.postgresql import JSONB

from engines.expr.functions.info import list_contains
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem
from engines.rules.actions.base import ActionBase, ActionType


class AddTagDef(ActionBase):
    action: Literal["add_tag"]
    field: str = Field(default="tags", pattern=KEY_PATTERN, description="a tags field of the rule's form")
    tag: str = Field(min_length=1, max_length=40)


class RemoveTagDef(ActionBase):
    action: Literal["remove_tag"]
    field: str = Field(default="tags", pattern=KEY_PATTERN)
    tag: str = Field(min_length=1, max_length=40)
    keep_manual: bool = Field(default=True, description="leave the tag where a person put it (no rule set it)")


def tags_field_problems(facts, key: str, path: str = "/field") -> list[Problem]:
    f = facts.field(key)
    if f is None:
        return [Problem(path, "unknown_field", {"form": facts.form, "key": key})]
    if f.type != "tags":
        return [Problem(path, "rule_not_tags_field", {"key": key})]
    return []


# ---- the list operations, in Python and in SQL --------------------------------------------------------------------
def with_tag(tags: list | None, tag: str) -> list:
    tags = list(tags or [])
    return tags if tag in tags else [*tags, tag]


def without_tag(tags: list | None, tag: str) -> list | None:
    return [t for t in tags or [] if t != tag] or None


def has_tag_sql(column, tag: str, sqlite: bool):
    return list_contains(column, literal(tag, Text()), sqlite)


def with_tag_sql(column, tag: str, sqlite: bool):
    if sqlite:
        grown = func.json_insert(func.coalesce(column, "[]"), "$[#]", literal(tag, Text()))
    else:
        grown = func.coalesce(column, cast(literal("[]"), JSONB)).op("||", return_type=JSONB)(
            func.jsonb_build_array(literal(tag, Text())))
    return case((has_tag_sql(column, tag, sqlite), column), else_=grown)


def without_tag_sql(column, tag: str, sqlite: bool):
    if sqlite:
        each = func.json_each(column).table_valued("value")
        kept = (select(case((func.count() == 0, null()), else_=func.json_group_array(each.c.value)))
                .select_from(each).where(each.c.value != literal(tag, Text())).correlate_except(each)
                .scalar_subquery())
    else:
        kept = func.nullif(column.op("-", return_type=JSONB)(literal(tag, Text())), cast(literal("[]"), JSONB))
    return kept


class AddTag(ActionType):
    key, label, props = "add_tag", ("添加标签", "Add tag"), AddTagDef

    def check(self, action, facts):
        return tags_field_problems(facts, action.field)

    def writes(self, action):
        return [action.field]

    def added_tags(self, action):
        return [(action.field, action.tag)]

    def values(self, action, run):
        run.set(action.field, with_tag(run.current(action.field), action.tag))

    def values_sql(self, action, build):
        build.set(action.field, with_tag_sql(build.current(action.field), action.tag, build.sqlite))


class RemoveTag(ActionType):
    key, label, props = "remove_tag", ("移除标签", "Remove tag"), RemoveTagDef

    def check(self, action, facts):
        return tags_field_problems(facts, action.field)

    def writes(self, action):
        return [action.field]

    def removed_tags(self, action):
        return [(action.field, action.tag)]

    def values(self, action, run):
        current = run.current(action.field)
        if action.tag in (current or []) and (not action.keep_manual or run.tag_source(action.field, action.tag)):
            run.set(action.field, without_tag(current, action.tag))

    def values_sql(self, action, build):
        column = build.current(action.field)
        condition = has_tag_sql(column, action.tag, build.sqlite)
        if action.keep_manual:
            condition = condition & build.tag_source(action.field, action.tag)
        build.set(action.field, case((condition, without_tag_sql(column, action.tag, build.sqlite)), else_=column))
