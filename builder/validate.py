"""Validation of a whole app document: every problem at once, each with a JSON pointer."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from builder.expressions import expression_problems
from builder.model import FORMAT, AppDef
from engines.expr import FUNCTIONS, ExprError, parse
from engines.expr.ast import Call, walk
from engines.form.fields import FIELD_MODELS, FIELD_TYPES
from engines.form.fields.base import SYSTEM_FIELDS, Context, FieldError
from engines.form.record import coerce_value
from engines.customers import identity_problems
from engines.demo.recipe import demo_problems
from engines.demo.recipe import problem_from_pydantic as demo_problem_from_pydantic
from engines.flow import validate_flows
from engines.print import DEFAULT_KEY, syntax_error
from engines.problems import Problem, ProblemsError, pointer
from engines.report.dashboards import dashboard_problems
from engines.report.validate import report_problems as validate_reports
from engines.rules import problem_from_pydantic as rule_problem_from_pydantic
from engines.rules import validate_rules
from engines.integration import connector_problems, flow_connector_problems
from engines.views import problem_from_pydantic as view_problem_from_pydantic
from engines.views import view_problems

# A title must be a short readable value.
_TITLE_TYPES = {"text", "autonumber", "phone", "email", "number", "money", "select", "date", "url"}


def validate_app(doc: Any) -> AppDef:
    """The parsed app, or ProblemsError listing everything wrong with it."""
    if not isinstance(doc, dict):
        raise ProblemsError([Problem("", "not_object")])
    problems: list[Problem] = []
    app = None
    try:
        app = AppDef.model_validate(doc)
    except ValidationError as e:
        problems += [_from_pydantic(err) for err in e.errors()]
    problems += _cross_references(doc)
    if app is not None:
        problems += decision_problems(app)
        if app.identity is not None:
            problems += [p.under("/identity") for p in identity_problems(app.identity, {f.key: f for f in app.forms})]
        problems += demo_problems(app.demo, app.forms, app.data)
    if app is not None and not problems:
        problems += expression_problems(app)
        problems += flow_problems(app)
        problems += report_problems(app, doc)
        problems += rule_problems(app)
        problems += connector_problems(app.connectors, {f.key: f for f in app.forms})
        problems += flow_connector_problems(app.flows, app.connectors)
        problems += view_problems(app.views, {f.key: f for f in app.forms})
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.path, p.code), p)
    if unique:
        raise ProblemsError(sorted(unique.values(), key=lambda p: _sort_key(p.path)))
    assert app is not None
    return app


# Parts of flows the runtime does not carry out yet (runtime/flows.py): refused at publish, never run halfway.
def flow_problems(app: AppDef) -> list[Problem]:
    """The flows checked against the app's forms, roles and print templates."""
    if not app.flows:
        return []
    return validate_flows(app.flows, {f.key: f for f in app.forms}, [r.key for r in app.roles],
                          [t.key for t in app.print_templates] + [DEFAULT_KEY])


def rule_problems(app: AppDef) -> list[Problem]:
    """The rules checked against the app's forms, flows (a flow a rule starts runs on the rule's form) and roles."""
    if not app.rules:
        return []
    flows = {f.get("key"): (f.get("trigger") or {}).get("form") for f in app.flows if isinstance(f, dict)}
    return validate_rules(app.rules, {f.key: f for f in app.forms}, flows, [r.key for r in app.roles])


def decision_problems(app: AppDef) -> list[Problem]:
    """Decision tables: unique keys, cells that parse (with the position in the cell), typed columns and outputs,
    no overlapping rows where the hit policy is unique; and DECIDE kept out of linkage conditions, which the
    browser evaluates without the tables. DECIDE elsewhere is checked with the other expressions."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, table in enumerate(app.decision_tables):
        here = f"/decision_tables/{i}"
        if table.key in seen:
            problems.append(Problem(here + "/key", "duplicate_key", {"key": table.key, "other": seen[table.key]}))
        seen.setdefault(table.key, here)
        try:
            table.compiled()
        except ProblemsError as e:
            problems += [p.under(here) for p in e.problems]
    for i, form in enumerate(app.forms):
        owners = [(f"/forms/{i}", form)] + [(f"/forms/{i}/fields/{j}", f) for j, f in enumerate(form.fields)
                                            if f.type == "subtable"]
        for base, owner in owners:
            for k, rule in enumerate(owner.linkage):
                problems += _server_only(rule.when, f"{base}/linkage/{k}/when")
    return problems


def _server_only(text: str, path: str) -> list[Problem]:
    try:
        node = parse(text)
    except ExprError:
        return []  # reported with the expression checks
    return [Problem(path, "linkage_server_only", {"name": n.name, "position": n.start}) for n in walk(node)
            if isinstance(n, Call) and n.name in FUNCTIONS and not FUNCTIONS.get(n.name).browser][:1]


def report_problems(app: AppDef, doc: dict) -> list[Problem]:
    """Reports against the forms (engines.report), dashboards against the reports."""
    problems = validate_reports(app.reports, {f.key: f for f in app.forms})
    reports = {r.key: r.model_dump(by_alias=True) for r in app.reports}
    return problems + [p.under("/dashboards") for p in dashboard_problems(doc.get("dashboards") or [], reports)]


def _sort_key(path: str):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.split("/")]


def _from_pydantic(err: dict) -> Problem:
    if err["loc"] and err["loc"][0] == "rules":
        return rule_problem_from_pydantic(err)
    if err["loc"] and err["loc"][0] == "demo":
        return demo_problem_from_pydantic(err)
    if err["loc"] and err["loc"][0] == "views":
        return view_problem_from_pydantic(err)
    loc = list(err["loc"])
    # Discriminated unions put the tag into the location (…/fields/2/number/min): drop it.
    loc = [part for i, part in enumerate(loc)
           if not (isinstance(part, str) and i > 0 and isinstance(loc[i - 1], int) and part in FIELD_MODELS)]
    kind = err["type"]
    if kind == "extra_forbidden":
        return Problem(pointer(*loc), "unknown_key", {"key": loc[-1] if loc else ""})
    if kind == "missing":
        return Problem(pointer(*loc), "required")
    if kind == "union_tag_invalid" and err["ctx"].get("tag") == "subtable":
        return Problem(pointer(*loc, "type"), "nested_subtable")
    if kind == "union_tag_invalid":
        return Problem(pointer(*loc, "type"), "unknown_field_type",
                       {"value": err["ctx"].get("tag"), "known": ", ".join(FIELD_TYPES.keys())})
    if kind == "union_tag_not_found":
        return Problem(pointer(*loc, "type"), "required")
    if kind == "literal_error" and loc == ["format"]:
        return Problem("/format", "bad_format", {"expected": FORMAT})
    if kind == "string_pattern_mismatch" and loc and loc[-1] in ("key", "target", "title_field", "form", "dashboard"):
        return Problem(pointer(*loc), "bad_key")
    return Problem(pointer(*loc), "schema", {"message": err["msg"]})


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dicts(value: Any):
    return ((i, item) for i, item in enumerate(_list(value)) if isinstance(item, dict))


def _cross_references(doc: dict) -> list[Problem]:
    """Checks that span objects, run on the raw document so they report even when the schema check failed."""
    problems: list[Problem] = []
    form_keys: dict[str, str] = {}
    for i, form in _dicts(doc.get("forms")):
        key = form.get("key")
        if isinstance(key, str):
            if key in form_keys:
                problems.append(Problem(f"/forms/{i}/key", "duplicate_key", {"key": key, "other": form_keys[key]}))
            form_keys.setdefault(key, f"/forms/{i}")
    for i, form in _dicts(doc.get("forms")):
        problems += _form_problems(form, f"/forms/{i}", form_keys)
    for path, menu in _menu_items(doc.get("menus"), "/menus"):
        if isinstance(menu.get("form"), str) and menu["form"] not in form_keys:
            problems.append(Problem(path + "/form", "unknown_form", {"key": menu["form"]}))
        boards = {d.get("key") for _, d in _dicts(doc.get("dashboards"))}
        if isinstance(menu.get("dashboard"), str) and menu["dashboard"] not in boards:
            problems.append(Problem(path + "/dashboard", "unknown_dashboard", {"key": menu["dashboard"]}))
    problems += _print_template_problems(doc.get("print_templates"), form_keys)
    data = doc.get("data")
    if isinstance(data, dict):
        for form_key in data:
            if form_key not in form_keys:
                problems.append(Problem(pointer("data", form_key), "unknown_form", {"key": form_key}))
    return problems


def _print_template_problems(templates: Any, form_keys: dict[str, str]) -> list[Problem]:
    """Each template prints an existing form, has its own key (not the default's), and its html compiles."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, template in _dicts(templates):
        here = f"/print_templates/{i}"
        key = template.get("key")
        if key == DEFAULT_KEY:
            problems.append(Problem(here + "/key", "print_template_reserved", {"key": key}))
        elif isinstance(key, str):
            if key in seen:
                problems.append(Problem(here + "/key", "duplicate_key", {"key": key, "other": seen[key]}))
            seen.setdefault(key, here)
        if isinstance(template.get("form"), str) and template["form"] not in form_keys:
            problems.append(Problem(here + "/form", "unknown_form", {"key": template["form"]}))
        if isinstance(template.get("html"), str) and template["html"]:
            error = syntax_error(template["html"])
            if error is not None:
                problems.append(Problem(here + "/html", "print_template_syntax",
                                        {"line": error.line or 1, "error": error.error}))
    return problems


def _menu_items(menus: Any, path: str):
    for i, menu in _dicts(menus):
        yield f"{path}/{i}", menu
        yield from _menu_items(menu.get("children"), f"{path}/{i}/children")


def _form_problems(form: dict, path: str, form_keys: dict[str, str]) -> list[Problem]:
    problems = _field_list_problems(form.get("fields"), path + "/fields", form_keys)
    fields = {f.get("key"): f for _, f in _dicts(form.get("fields"))}
    title = form.get("title_field")
    if isinstance(title, str):
        if title not in fields:
            problems.append(Problem(path + "/title_field", "unknown_title_field", {"key": title}))
        elif fields[title].get("type") not in _TITLE_TYPES or fields[title].get("many"):
            problems.append(Problem(path + "/title_field", "bad_title_field", {"type": fields[title].get("type")}))
    return problems


def _field_list_problems(fields: Any, path: str, form_keys: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for j, raw in _dicts(fields):
        here = f"{path}/{j}"
        key = raw.get("key")
        if isinstance(key, str):
            if key in SYSTEM_FIELDS:
                problems.append(Problem(here + "/key", "reserved_key", {"key": key}))
            elif key in seen:
                problems.append(Problem(here + "/key", "duplicate_key", {"key": key, "other": seen[key]}))
            seen.setdefault(key, here)
        kind = raw.get("type")
        if kind not in FIELD_MODELS:
            continue  # reported by the schema check
        if kind == "relation" and isinstance(raw.get("target"), str) and raw["target"] not in form_keys:
            problems.append(Problem(here + "/target", "unknown_target", {"target": raw["target"]}))
        if kind == "subtable":
            problems += _field_list_problems(raw.get("fields"), here + "/fields", form_keys)
        try:
            model = FIELD_MODELS[kind].model_validate(raw)
        except ValidationError:
            continue  # reported by the schema check with exact places
        ftype = FIELD_TYPES.get(kind)
        if model.unique and not ftype.unique_ok or (model.unique and getattr(model, "many", False)):
            problems.append(Problem(here + "/unique", "unique_not_supported", {"type": kind}))
        problems += [p.under(here) for p in ftype.check_def(model)]
        if model.default is not None and not ftype.is_generated:
            problems += _default_problems(model, here + "/default")
    return problems


def _default_problems(field, path: str) -> list[Problem]:
    if isinstance(field.default, dict) and "expr" in field.default:
        return []  # checked with the other expressions, once the whole document is sound
    try:
        coerce_value(field, field.default, Context())
    except FieldError as e:
        return [Problem(path, e.code, e.params)]
    except ProblemsError as e:
        return [p.under(path) for p in e.problems]
    return []
