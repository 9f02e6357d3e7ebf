"""The expression language for designers: the function list (autocomplete) and a live check of a formula."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from engines.expr import FUNCTIONS, ExprError, compile_expression
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


@router.post("/check")
async def check(body: CheckBody, platform: PlatformDep, user: CurrentUser) -> dict:
    """The type an expression gives on the app's published forms, or 422 with the position of the problem."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, body.app)
    if body.form not in schema.forms:
        raise ApiError(404, "not_found", what=f"form {body.form!r}")
    try:
        compiled = compile_expression(body.expr, scope_of(schema, body.form), body.expect)
    except ExprError as e:
        raise ApiError(422, "validation_failed", [e.problem("/expr")], count=1) from None
    t = compiled.type
    return {"type": t.kind if not t.is_rows else f"rows of {t.item.kind}",
            "reads": sorted(".".join(p) for p in compiled.paths)}
