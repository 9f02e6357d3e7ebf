"""Validation and coercion of one record's values against its form: every problem at once, by field."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from engines.form.compiled import compile_validator
from engines.form.fields import field_type
from engines.form.fields.base import SYSTEM_FIELDS, Context, FieldError
from engines.problems import Problem, ProblemsError, pointer


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict)) and not value


def coerce_value(f, value: Any, ctx: Context, ftype=None) -> Any:
    """One field's value → stored value; raises FieldError or ProblemsError (sub-table rows)."""
    return None if is_empty(value) else (ftype or field_type(f.type)).coerce(f, value, ctx)


def validate_record(fields: Iterable, data: Any, ctx: Context, *, partial: bool = False, form: str = "") -> dict:
    """Input values → clean values for every field given (and defaults when creating).

    `partial` is a PATCH: only the fields given are checked. System fields a client echoes back
    (id, version, created_at…) are ignored; `owner` passes through for the runtime to check.
    """
    clean, problems = check_record(fields, data, ctx, partial=partial, form=form)
    if problems:
        raise ProblemsError(problems)
    return clean


def check_record(fields: Iterable, data: Any, ctx: Context, *, partial: bool = False,
                 form: str = "") -> tuple[dict, list[Problem]]:
    """Like validate_record, but returns the valid values beside the problems, so a caller can
    check the valid part against the database too and report everything in one answer.

    A field list (a published definition's) is compiled once into a validator that gives the same answers as
    the reference below, faster (engines.form.compiled); any other iterable is checked by the reference."""
    if type(fields) is list or type(fields) is tuple:
        return compile_validator(fields, form).check(data, ctx, partial)
    return _check_record_reference(fields, data, ctx, partial=partial, form=form)


def record_checker(fields: Iterable, form: str = "") -> Callable[..., tuple[dict, list[Problem]]]:
    """check_record of one field list as a function `check(data, ctx, partial=False)`, looked up once: what a
    loop over a batch of records calls (same answers as check_record, without its per-call dispatch)."""
    if type(fields) is list or type(fields) is tuple:
        return compile_validator(fields, form).check

    def check(data: Any, ctx: Context, partial: bool = False) -> tuple[dict, list[Problem]]:
        return _check_record_reference(fields, data, ctx, partial=partial, form=form)
    return check


def _check_record_reference(fields: Iterable, data: Any, ctx: Context, *, partial: bool = False,
                            form: str = "") -> tuple[dict, list[Problem]]:
    """The plain loop over the fields: what the compiled validator must answer, problem for problem."""
    if not isinstance(data, dict):
        return {}, [Problem("", "not_object")]
    fields = list(fields)
    by_key = {f.key: f for f in fields}
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    for key in data:
        if key not in by_key and key not in SYSTEM_FIELDS:
            problems.append(Problem(pointer(key), "unknown_field", {"form": form, "key": key}))
    if "owner" in data and not is_empty(data["owner"]):
        try:
            clean["owner"] = field_type("relation").coerce(_ONE, data["owner"], ctx)
        except FieldError as e:
            problems.append(Problem("/owner", e.code, e.params))
    for f in fields:
        ftype = field_type(f.type)
        if f.key in data:
            value = data[f.key]
            if ftype.is_generated:
                if not is_empty(value):
                    problems.append(Problem(pointer(f.key), "generated"))
                continue
        elif partial or ftype.is_generated:
            continue
        else:
            value = f.default
            if isinstance(value, dict) and "expr" in value:
                continue  # an expression default: the runtime computes it, knowing the clock and the user
        try:
            stored = coerce_value(f, value, ctx, ftype)
        except FieldError as e:
            problems.append(Problem(pointer(f.key), e.code, e.params))
            continue
        except ProblemsError as e:
            problems.extend(p.under(pointer(f.key)) for p in e.problems)
            continue
        if stored is None:
            try:
                if f.required:
                    raise FieldError("required")
                ftype.check_empty(f)
            except FieldError as e:
                problems.append(Problem(pointer(f.key), e.code, e.params))
                continue
        if f.key in data or stored is not None:
            clean[f.key] = stored
    return clean, problems


def validate_rows(subtable, rows: list, ctx: Context) -> list[dict]:
    """Sub-table rows; a row may carry the `id` it had, so edits keep row identity."""
    problems: list[Problem] = []
    clean_rows = []
    for i, row in enumerate(rows):
        try:
            clean = validate_record(subtable.fields, row, ctx, form=subtable.key)
        except ProblemsError as e:
            problems.extend(p.under(pointer(i)) for p in e.problems)
            continue
        clean.pop("owner", None)
        row_id = row.get("id")
        if isinstance(row_id, int) and not isinstance(row_id, bool) and row_id > 0:
            clean["id"] = row_id
        clean_rows.append(clean)
    if problems:
        raise ProblemsError(problems)
    return clean_rows


class _OwnerField:
    many = False
    max_items = None


_ONE = _OwnerField()
