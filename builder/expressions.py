"""Expressions inside an app definition, checked at save/publish time: formulas and default expressions,
typed against the app's forms, with formula results inferred and cycles between formulas refused."""
from __future__ import annotations

from engines.expr import ExprError, Scope, compile_expression, parse
from engines.expr.ast import Name, walk
from engines.expr.types import T
from engines.form.fields import field_type
from engines.form.fields.formula import RESULT_OF_KIND, RESULTS
from engines.problems import Problem


def _field_lists(app):
    """(form key as expressions see it, fields, JSON pointer of the field list) for forms and sub-tables."""
    for i, form in enumerate(app.forms):
        yield form.key, form.fields, f"/forms/{i}/fields"
        for j, f in enumerate(form.fields):
            if f.type == "subtable":
                yield f"{form.key}.{f.key}", f.fields, f"/forms/{i}/fields/{j}/fields"


def formula_order(fields, form_key: str, parsed: dict) -> tuple[list, list[str] | None]:
    """Formulas of one field list, each after the formulas it reads; or the cycle that prevents an order.
    `parsed` maps formula keys to their syntax trees."""
    from engines.form.computed import topological

    formulas = {f.key: f for f in fields if f.type == "formula"}
    reads = {key: {n.path[0] for n in walk(parsed[key]) if isinstance(n, Name)} for key in formulas if key in parsed}
    keys, cycle = topological(list(formulas), reads)
    return [formulas[key] for key in keys], cycle


def expression_problems(app) -> list[Problem]:
    """Every formula and default expression type-checked; formula `result` filled in where left out."""
    problems: list[Problem] = []
    forms = {f.key: f for f in app.forms}
    inferred: dict[tuple[str, str], T] = {}
    for form_key, fields, path in _field_lists(app):
        scope = Scope(forms, form_key, formula_types=inferred)
        index = {f.key: j for j, f in enumerate(fields)}
        parsed = {}
        for f in fields:
            if f.type == "formula":
                try:
                    parsed[f.key] = parse(f.expr)
                except ExprError as e:
                    problems.append(e.problem(f"{path}/{index[f.key]}/expr"))
        order, cycle = formula_order(fields, form_key, parsed)
        if cycle:
            problems.append(Problem(f"{path}/{index[cycle[0]]}/expr", "expr_cycle", {"cycle": " → ".join(cycle)}))
            order = [f for f in fields if f.type == "formula" and f.key not in cycle]  # still check the rest
        for f in order:
            if f.key not in parsed:
                continue
            where = f"{path}/{index[f.key]}"
            try:
                compiled = compile_expression(f.expr, scope)
            except ExprError as e:
                problems.append(e.problem(where + "/expr"))
                continue
            kind = compiled.type.kind
            if f.result is None:
                f.result = RESULT_OF_KIND.get(kind, "text" if kind in ("list", "null", "any") else "number")
            elif kind not in (RESULTS[f.result][1], "null", "any") and not (kind == "ref" and f.result == "number"):
                problems.append(ExprError("expr_wrong_result", 0, **_kinds(RESULTS[f.result][1], compiled.type))
                                .problem(where + "/expr"))
            inferred[(form_key, f.key)] = T(RESULTS[f.result][1])
        for f in fields:
            if isinstance(f.default, dict) and "expr" in f.default and f.type != "formula":
                problems += _default_problems(f, scope, f"{path}/{index[f.key]}/default/expr")
    return problems or computed_problems(app) + linkage_problems(app) + role_problems(app)


def _default_problems(f, scope: Scope, path: str) -> list[Problem]:
    text = f.default.get("expr")
    if not isinstance(text, str) or set(f.default) != {"expr"}:
        return [Problem(path, "schema", {"message": 'a default expression is {"expr": "…"}'})]
    try:
        compiled = compile_expression(text, scope)
    except ExprError as e:
        return [e.problem(path)]
    if any(len(p) > 1 for p in compiled.paths):  # defaults are set before linked records are looked at
        return [Problem(path, "expr_default_scope")]
    wanted = field_type(f.type).expr_kind_for(f)
    got = compiled.type.kind
    numeric = {"number", "ref"}
    if got not in (wanted, "null", "any") and not (wanted == "text" and got in ("number", "date")) \
            and not (wanted in numeric and got in numeric):
        return [ExprError("expr_wrong_result", 0, **_kinds(wanted, compiled.type)).problem(path)]
    return []


def _kinds(expected: str, got: T) -> dict:
    from engines.expr.types import type_args

    return type_args(expected, got)


# ---- lookups, rollups and the order of all computed fields -----------------------------------------------------
NUMERIC = {"number"}
ORDERED = {"number", "date", "datetime"}
GUARDABLE_RESULTS = ("number", "money", "percent")  # a formula's results that min/max can bound


def computed_problems(app) -> list[Problem]:
    """Lookups and rollups checked against the forms they read; then every computed field of the app put
    in one order (each after what it reads), a cycle refused with its path."""
    from engines.form import computed

    problems: list[Problem] = []
    forms = {f.key: f for f in app.forms}
    index = computed._index(app.forms)
    places = {}
    for form_key, fields, i, j in computed.field_lists(app.forms):
        base = f"/forms/{i}/fields" + (f"/{j}/fields" if j is not None else "")
        scope = Scope(forms, form_key)
        for n, f in enumerate(fields):
            places[(form_key, f.key)] = f"{base}/{n}"
            if f.type == "lookup":
                problems += _lookup_problems(index, scope, form_key, f, f"{base}/{n}")
            elif f.type == "rollup":
                problems += _rollup_problems(index, forms, form_key, f, f"{base}/{n}")
            elif f.type == "formula" and f.guarded and f.result not in GUARDABLE_RESULTS:
                problems.append(Problem(f"{base}/{n}/min" if f.min is not None else f"{base}/{n}/max",
                                        "guard_not_number"))
    if problems:
        return problems
    nodes = computed.nodes(app.forms, lambda form_key, text: compile_expression(text, Scope(forms, form_key)))
    _, cycle = computed.order(nodes)
    if cycle:
        form_key, _, key = cycle[0].rpartition(".")
        problems.append(Problem(places[(form_key, key)], "computed_cycle", {"cycle": " → ".join(cycle)}))
    return problems


def _lookup_problems(index, scope: Scope, form_key: str, f, here: str) -> list[Problem]:
    relation = index[form_key].get(f.relation)
    if relation is None or relation.type != "relation" or relation.many:
        return [Problem(here + "/relation", "lookup_relation", {"key": f.relation})]
    try:
        compile_expression(f"{f.relation}.{f.field}", scope)
    except ExprError as e:
        return [Problem(here + "/field", "lookup_field", {"path": f.field, "form": relation.target,
                                                          "reason": e.problem().message("en")})]
    if f._source is None and _in_cycle(index, relation.target, f.field):
        return []  # reported with its path once every computed field is ordered
    if f._source is None or field_type(f._source.type).storage_for(f._source) is None:
        return [Problem(here + "/field", "lookup_not_stored", {"path": f.field})]
    return []


def _in_cycle(index, form: str, path: str) -> bool:
    """A lookup or rollup left unresolved although its path exists: what it reads reads it back."""
    from engines.form.computed import COMPUTED_TYPES, walk_path

    found = walk_path(index, form, path.split("."))
    return found is not None and found[1].type in COMPUTED_TYPES


def _rollup_problems(index, forms, form_key: str, f, here: str) -> list[Problem]:
    from engines.form import computed

    if bool(f.relation) == bool(f.source or f.via) or (f.source is None) != (f.via is None):
        return [Problem(here, "rollup_source")]
    source = computed.rollup_form(index, form_key, f)
    if f.relation and source is None:
        return [Problem(here + "/relation", "rollup_relation", {"key": f.relation})]
    if f.source:
        if source is None:
            return [Problem(here + "/source", "unknown_form", {"key": f.source})]
        via = index[source].get(f.via)
        if via is None or via.type != "relation" or via.target != form_key:
            return [Problem(here + "/via", "rollup_via", {"key": f.via, "source": f.source, "form": form_key})]
    scope = Scope(forms, source)
    problems = []
    if f.agg != "count" and not f.field:
        problems.append(Problem(here + "/field", "required"))
    if f.field:
        try:
            kind = compile_expression(f.field, scope).type.kind
        except ExprError as e:
            problems.append(e.problem(here + "/field"))
        else:
            wanted = NUMERIC if f.agg in ("sum", "avg") else ORDERED if f.agg in ("min", "max") else None
            if f._source is None and not _in_cycle(index, source, f.field):
                problems.append(Problem(here + "/field", "lookup_not_stored", {"path": f.field}))
            elif wanted and kind not in wanted | {"any"}:
                problems.append(Problem(here + "/field", "rollup_field_type", {"agg": f.agg, "path": f.field}))
    if f.filter:
        try:
            compile_expression(f.filter, scope, expect="bool")
        except ExprError as e:
            problems.append(e.problem(here + "/filter"))
    if f.parent_filter:  # over the record each row of another form's sub-table belongs to
        if not f.source or "." not in f.source:
            problems.append(Problem(here + "/parent_filter", "parent_filter_source"))
        else:
            try:
                compile_expression(f.parent_filter, Scope(forms, source.rpartition(".")[0]), expect="bool")
            except ExprError as e:
                problems.append(e.problem(here + "/parent_filter"))
    if f.guarded and f.agg in ("min", "max") and f.field and not problems \
            and compile_expression(f.field, scope).type.kind not in NUMERIC | {"any"}:
        problems.append(Problem(here + ("/min" if f.min is not None else "/max"), "guard_not_number"))
    return problems


# ---- linkage rules ----------------------------------------------------------------------------------------------
def linkage_problems(app) -> list[Problem]:
    """Every linkage rule of forms and sub-tables: a condition over the record's (row's) own fields, and
    field keys and option values that exist."""
    from engines.form.computed import field_lists

    problems: list[Problem] = []
    forms = {f.key: f for f in app.forms}
    for form_key, fields, i, j in field_lists(app.forms):
        owner = app.forms[i] if j is None else app.forms[i].fields[j]
        base = f"/forms/{i}" + (f"/fields/{j}" if j is not None else "")
        by_key = {f.key: f for f in fields}
        scope = Scope(forms, form_key)
        for k, rule in enumerate(owner.linkage):
            here = f"{base}/linkage/{k}"
            problems += _condition_problems(rule.when, scope, here + "/when")
            for part in ("show", "hide", "require"):
                for n, key in enumerate(getattr(rule, part)):
                    if key not in by_key:
                        problems.append(Problem(f"{here}/{part}/{n}", "unknown_field", {"form": form_key, "key": key}))
            for key, values in rule.options.items():
                f = by_key.get(key)
                if f is None:
                    problems.append(Problem(f"{here}/options/{key}", "unknown_field", {"form": form_key, "key": key}))
                elif not hasattr(f, "options") or f.type == "cascade":
                    problems.append(Problem(f"{here}/options/{key}", "linkage_not_choice", {"key": key}))
                else:
                    known = [o.value for o in f.options]
                    problems += [Problem(f"{here}/options/{key}/{n}", "not_option",
                                         {"value": value, "options": ", ".join(known[:20])})
                                 for n, value in enumerate(values) if value not in known]
    return problems


def _condition_problems(text: str, scope: Scope, path: str, own_fields: bool = True) -> list[Problem]:
    try:
        compiled = compile_expression(text, scope, expect="bool")
    except ExprError as e:
        return [e.problem(path)]
    if own_fields and any(len(p) > 1 for p in compiled.paths):  # the browser decides with the values on screen
        return [Problem(path, "linkage_scope")]
    return []


# ---- roles ---------------------------------------------------------------------------------------------------
def role_problems(app) -> list[Problem]:
    """Every role's permissions name forms and fields that exist; row scopes are a known name or a condition
    over the form's records."""
    from engines.access import SCOPES

    problems: list[Problem] = []
    forms = {f.key: f for f in app.forms}
    seen: dict[str, int] = {}
    for i, role in enumerate(app.roles):
        if role.key in seen:
            problems.append(Problem(f"/roles/{i}/key", "duplicate_key", {"key": role.key, "other": f"/roles/{seen[role.key]}"}))
        seen.setdefault(role.key, i)
        for j, permission in enumerate(role.permissions):
            here = f"/roles/{i}/permissions/{j}"
            form = forms.get(permission.form)
            if form is None:
                problems.append(Problem(here + "/form", "unknown_form", {"key": permission.form}))
                continue
            for key in permission.fields:
                parent, _, child = key.partition(".")
                f = form.field(parent)
                if f is None or (child and (f.type != "subtable" or not any(c.key == child for c in f.fields))):
                    problems.append(Problem(f"{here}/fields/{key}", "unknown_field", {"form": form.key, "key": key}))
            if permission.rows == "member":
                if not any(f.type == "member" for f in form.fields):
                    problems.append(Problem(here + "/rows", "scope_needs_member", {"form": form.key}))
            elif permission.rows not in SCOPES:
                problems += _condition_problems(permission.rows, Scope(forms, form.key), here + "/rows",
                                                own_fields=False)
    return problems
