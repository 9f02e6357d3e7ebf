"""The expression language for designers: the function list (autocomplete) and a live check of a formula."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError

from engines.expr import FUNCTIONS, ExprError, Scope, compile_expression
from runtime.deps import CurrentUser, PlatformDep
from runtime.errors import ApiError
from runtime.expressions import scope_of

router = APIRouter(prefix="/api/expr", tags=["expressions"])


@router.get("/functions")
async def functions(user: CurrentUser) -> list[dict]:
    return [function.describe() for function in FUNCTIONS]


class CheckBody(BaseModel):
    app: str = Field(max_length=40)
    form: str = Field(max_length=100, description='a form key, or "order.lines" for a sub-table')
    expr: str = Field(max_length=4000)
    expect: str | None = Field(default=None, pattern="^(bool|number|text|date|datetime)$")
    definition: dict[str, Any] | None = Field(default=None, description=(
        "the builder's working copy of the app: when given, the expression is checked against its forms, so "
        "fields not yet published count"))


def _working_copy_scope(definition: dict[str, Any], form: str) -> Scope:
    """A scope from the working copy's forms and decision tables — the parts an expression can see. The rest of
    the copy (flows, reports, a half-made rule) is not the formula's business, so it is left out of the check;
    problems in the forms themselves answer 422, since no scope can be built from them."""
    from builder.expressions import expression_problems
    from builder.model import FORMAT, AppDef
    from builder.validate import _from_pydantic

    seen = {"format": FORMAT, "key": "draft", "name": "draft",
            **{part: definition[part] for part in ("forms", "decision_tables") if part in definition}}
    try:
        app = AppDef.model_validate(seen)
    except ValidationError as e:
        problems = [_from_pydantic(err) for err in e.errors()]
        raise ApiError(422, "validation_failed", problems, count=len(problems)) from None
    expression_problems(app)  # types the formulas that compile, so one formula reading another knows its type
    forms = {f.key: f for f in app.forms}
    scope = Scope(forms, form)
    if form not in scope.forms:
        raise ApiError(404, "not_found", what=f"form {form!r}")
    return scope


@router.post("/check")
async def check(body: CheckBody, platform: PlatformDep, user: CurrentUser) -> dict:
    """The type an expression gives on the app's published forms (or on the working copy's, when `definition` is
    given), or 422 with the position of the problem."""
    if body.definition is not None:
        scope = _working_copy_scope(body.definition, body.form)
    else:
        async with platform.engine.connect() as conn:
            schema = await platform.schemas.get(conn, body.app)
        if body.form not in schema.forms:
            raise ApiError(404, "not_found", what=f"form {body.form!r}")
        scope = scope_of(schema, body.form)
    try:
        compiled = compile_expression(body.expr, scope, body.expect)
    except ExprError as e:
        raise ApiError(422, "validation_failed", [e.problem("/expr")], count=1) from None
    t = compiled.type
    return {"type": t.kind if not t.is_rows else f"rows of {t.item.kind}",
            "reads": sorted(".".join(p) for p in compiled.paths)}
