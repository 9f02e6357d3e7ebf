"""CURRENT_USER, HAS_TAG, TODAY, NOW: facts about the moment, the person and a record's tags."""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, exists, func, literal, select

from engines.expr.functions.base import Simple
from engines.expr.types import T


class CurrentUser(Simple):
    key, category = "CURRENT_USER", "info"
    doc = ("当前用户（可与成员、负责人、创建人比较）", "the signed-in user (compare with member, owner or created_by)")
    signature = "CURRENT_USER() → user"
    params, nulls = (), True

    def result_type(self, args):
        return T("ref", source="user")

    def py(self, ctx):
        return ctx.user_id

    def sql(self, c):
        return literal(c.ctx.user_id, Integer()) if c.ctx.user_id is not None else literal(None, Integer())


class Today(Simple):
    key, category = "TODAY", "date"
    doc = ("今天（部署时区）", "today, in the deployment's time zone")
    signature = "TODAY() → date"
    params, result, nulls = (), "date", True

    def py(self, ctx):
        return ctx.now.astimezone(ctx.tz).date()

    def sql(self, c):
        return c.today()


class Now(Simple):
    key, category = "NOW", "date"
    doc = ("当前时刻", "the current moment")
    signature = "NOW() → datetime"
    params, result, nulls = (), "datetime", True

    def py(self, ctx):
        from datetime import timezone

        return ctx.now.astimezone(timezone.utc).replace(tzinfo=None)

    def sql(self, c):
        return c.now()


def list_contains(column, item, sqlite: bool):
    """A JSON list column holds the item (tags, multi-select); false, never empty, when it is empty."""
    if sqlite:
        each = func.json_each(column).table_valued("value")
        # correlate with the record being filtered, not a fresh copy of its table
        return exists(select(1).select_from(each).where(each.c.value == item).correlate_except(each))
    return func.coalesce(column.op("@>", return_type=Boolean)(func.jsonb_build_array(item)), False, type_=Boolean)


class HasTag(Simple):
    key, category = "HAS_TAG", "info"
    doc = ("标签或多选字段中含有该值", "the tags (or multi-select) field holds the value")
    signature = "HAS_TAG(tags, text) → bool"
    params, result, nulls = ("list", "text"), "bool", True

    def py(self, ctx, tags, tag):
        return tag is not None and tag in (tags or [])

    def sql(self, c, tags, tag):
        return list_contains(tags, tag, c.sqlite)


FUNCTIONS = [CurrentUser(), Today(), Now(), HasTag()]
