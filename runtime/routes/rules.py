"""Rules for people: run a rule over every record now, read what rules did (and where they failed), see which rule
put each tag on a record, and the action types a rule designer offers. The work is in runtime/rules.py."""
from __future__ import annotations

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import case, func, select

from engines.expr import ExprError, Scope, compile_expression
from engines.problems import Problem, ProblemsError, pointer
from engines.rules import ACTIONS
from runtime.deps import AdminUser, CurrentUser, PlatformDep, RecordId
from runtime.expressions import SchemaTables, eval_context
from runtime.errors import ApiError
from runtime.models import rule_log
from runtime.permissions import Access
from runtime.records import RecordReader
from runtime.rules import rules_of, run_rule, tag_sources  # registers the rule_schedule job kind too

router = APIRouter(tags=["rules"])


async def _rule_for_updater(conn, platform, app: str, key: str, user):
    """The rule, for app administrators and those who may update its form's records."""
    schema = await platform.schemas.get(conn, app)
    access = await Access.load(conn, schema, user, platform.settings.tz)
    rule = rules_of(schema).rules.get(key)
    if rule is None:
        raise ApiError(404, "rule_unknown", key=key)
    if access.restricted and not access.allows(rule.form, "update"):
        raise ApiError(403, "forbidden_op", op="update", form=rule.form)
    return schema, rule


@router.post("/api/apps/{app}/rules/{rule}/run")
async def run(app: str, rule: str, platform: PlatformDep, user: CurrentUser) -> dict:
    """The rule over every record of its form now, as set-based SQL: {"matched": records the condition holds
    for, "changed": records whose fields changed, "acted": per-record effects (flows started, notifications…),
    "failed": records a per-record action failed on (see the log)}."""
    async with platform.begin() as conn:
        schema, _ = await _rule_for_updater(conn, platform, app, rule, user)
        return await run_rule(conn, schema, rule, user_id=user.id, tz=platform.settings.tz)


class PreviewBody(BaseModel):
    """What the preview reads of a rule: its form and condition. A whole unsaved rule may be sent; the rest of it
    (actions half-written in the designer) is not looked at."""
    model_config = ConfigDict(extra="ignore")
    form: str = Field(min_length=1, max_length=100)
    when: str | None = Field(default=None, max_length=4000)


@router.post("/api/apps/{app}/rules/preview")
async def preview(app: str, platform: PlatformDep, user: AdminUser, body: dict = Body(...)) -> dict:
    """How many records of the published form an unsaved condition holds for now: {"matched", "total"}, both
    counted by the database with the SQL the batch run uses. A condition that does not compile answers 422 with
    the place ("/when") and the position; a form the published app lacks answers 422 at "/form"."""
    try:
        rule = PreviewBody.model_validate(body)
    except ValidationError as e:
        raise ProblemsError([Problem(pointer(*err["loc"]), "schema", {"message": err["msg"]}) for err in e.errors()])
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        forms = {f.key: f for f in schema.definition.forms}
        if rule.form not in forms:
            raise ProblemsError([Problem("/form", "unknown_form", {"key": rule.form})])
        table = schema.forms[rule.form].table.alias("cur")
        holds = None
        if rule.when and rule.when.strip():
            try:
                condition = compile_expression(rule.when, Scope(forms, rule.form), "bool")
            except ExprError as e:
                raise ProblemsError([e.problem("/when")]) from None
            holds = condition.sql(SchemaTables(schema), eval_context(platform.settings.tz, user.id),
                                  conn.dialect.name, rule.form, table, condition=True)
        matched = func.count() if holds is None else func.count(case((holds, 1)))
        row = (await conn.execute(select(func.count().label("total"), matched.label("matched")).select_from(table))).one()
    return {"matched": row.matched, "total": row.total}


@router.get("/api/apps/{app}/rules/{rule}/log")
async def rule_history(app: str, rule: str, platform: PlatformDep, user: CurrentUser,
                       page: int = Query(1, ge=1, le=100_000), page_size: int = Query(50, ge=1, le=500)) -> dict:
    """What the rule did (batch runs with their counts) and where it failed or stopped, newest first."""
    async with platform.engine.connect() as conn:
        schema, _ = await _rule_for_updater(conn, platform, app, rule, user)
        where = (rule_log.c.app_id == schema.app_id, rule_log.c.rule == rule)
        total = (await conn.execute(select(func.count()).select_from(rule_log).where(*where))).scalar_one()
        rows = (await conn.execute(select(rule_log).where(*where).order_by(rule_log.c.id.desc())
                                   .offset((page - 1) * page_size).limit(page_size))).all()
    items = [{"id": r.id, "at": r.at.isoformat() + "Z", "level": r.level, "code": r.code, "form": r.form,
              "record_id": r.record_id, "message": r.message, "detail": r.detail} for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/api/apps/{app}/forms/{form}/records/{record_id}/tags")
async def record_tags(app: str, form: str, record_id: RecordId, platform: PlatformDep, user: CurrentUser) -> dict:
    """Each tag of the record with who put it: {"tags": [{"tag", "source": "rule", "rule", "rule_name", "set_at"} or
    {"tag", "source": "manual"}]} per tags field the caller may see."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        access = await Access.load(conn, schema, user, platform.settings.tz)
        record = await RecordReader(conn, schema, platform.ctx, user.id, platform.settings, access).get(form, record_id)
        return await tag_sources(conn, schema, form, record_id, record)


@router.get("/api/rules/actions")
async def action_types(user: CurrentUser) -> list[dict]:
    """The actions a rule may take, with their properties (JSON Schema), for the rule designer."""
    return [kind.describe() for kind in ACTIONS]
