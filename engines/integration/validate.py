"""Connectors checked at publish: every problem with its JSON pointer under /connectors/i."""
from __future__ import annotations

import re
from typing import Any, Mapping

from engines.expr import ExprError, Scope
from engines.form.fields import field_type
from engines.form.fields.base import KEY_PATTERN
from engines.integration.definition import ConnectorDef, EachDef, OperationDef
from engines.integration.mapping import MappingError, check_spec, check_template
from engines.problems import MESSAGES, Problem, pointer

MESSAGES.update({
    "mapping_bad_path": ("路径「{path}」无法识别（示例：$.data.items[0].qty）",
                         "cannot read path {path!r} (e.g. $.data.items[0].qty)"),
    "mapping_expression": ("映射「{spec}」无法计算：{error}", "mapping {spec!r} cannot be evaluated: {error}"),
    "connector_url": ("地址须以 http:// 或 https:// 开头：{value!r}", "must start with http:// or https://: {value!r}"),
    "connector_key": ("操作键须为小写字母、数字和下划线，以字母开头：{key!r}",
                      "an operation key is lower-case letters, digits and _, starting with a letter: {key!r}"),
    "connector_inbound_auth": ("接收回调需要 header 或 hmac 认证，才能确认调用方", "an inbound operation needs header or "
                               "hmac auth, so callers can be verified"),
    "connector_inbound_target": ("接收回调须有 write（写入记录）或 events（客户事件）之一",
                                 "an inbound operation needs exactly one of write (records) or events "
                                 "(customer events)"),
    "connector_events_inbound": ("events 只用于接收回调（inbound: true）", "events are for inbound operations only"),
    "connector_match": ("按 {mode} 写入需要 match（用哪个字段找到记录），且它须在 values 中",
                        "{mode} needs match (the field that finds the record), and values must fill it"),
    "connector_field": ("表单「{form}」没有可写字段「{key}」", "form {form!r} has no writable field {key!r}"),
    "unknown_connector": ("连接器「{key}」不存在", "connector {key!r} does not exist"),
    "unknown_operation": ("连接器「{connector}」没有操作「{key}」", "connector {connector!r} has no operation {key!r}"),
    "connector_variable": ("响应映射的目标「{key}」不是本流程声明的变量", "response target {key!r} is not a variable of "
                           "this flow"),
    "connector_or_url": ("url 与 connector + operation 二选一", "give either url or connector + operation"),
})

_URL = ("http://", "https://")


def connector_problems(connectors: list[ConnectorDef], forms: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, connector in enumerate(connectors):
        here = f"/connectors/{i}"
        if connector.key in seen:
            problems.append(Problem(here + "/key", "duplicate_key",
                                    {"key": connector.key, "other": seen[connector.key]}))
        seen.setdefault(connector.key, here)
        if not connector.base_url.lower().startswith(_URL):
            problems.append(Problem(here + "/base_url", "connector_url", {"value": connector.base_url}))
        auth = connector.auth
        oauth = auth is not None and auth.type == "oauth2_client_credentials"
        if oauth and not auth.token_url.lower().startswith(_URL):
            problems.append(Problem(here + "/auth/token_url", "connector_url", {"value": auth.token_url}))
        for key, operation in connector.operations.items():
            at = here + pointer("operations", key)
            if not re.match(KEY_PATTERN, key):
                problems.append(Problem(at, "connector_key", {"key": key}))
            problems += _operation_problems(connector, operation, forms, at)
    return problems


def _operation_problems(connector: ConnectorDef, op: OperationDef, forms: Mapping[str, Any], at: str) -> list[Problem]:
    problems: list[Problem] = []
    scope = None
    if op.form is not None:
        if op.form not in forms:
            problems.append(Problem(at + "/form", "unknown_form", {"key": op.form}))
        else:
            scope = Scope(forms, op.form)
    specs: list[tuple[str, str, Scope | None]] = [(at + pointer("query", k), v, scope) for k, v in op.query.items()]
    if op.idempotency_key:
        specs.append((at + "/idempotency_key", op.idempotency_key, scope))
    specs += [(at + pointer("response", k), v, None) for k, v in op.response.items()]
    specs += _body_specs(op.body or {}, at + "/body", scope)
    for path, spec, spec_scope in specs:
        problems += _spec_problems(spec, path, spec_scope)
    for path, template in [(at + "/path", op.path), *[(at + pointer("headers", k), v) for k, v in op.headers.items()]]:
        problems += _spec_problems(template, path, scope, template=True)
    if op.write is not None:
        problems += _write_problems(op, forms, at + "/write")
    if op.events is not None:
        if not op.inbound:
            problems.append(Problem(at + "/events", "connector_events_inbound"))
        events = op.events
        for name, spec in [("type", events.type), ("occurred_at", events.occurred_at), ("id", events.id),
                           *[(f"identities/{k}", v) for k, v in events.identities.items()],
                           *[(f"profile/{k}", v) for k, v in events.profile.items()],
                           *[(f"data/{k}", v) for k, v in events.data.items()]]:
            if spec is not None:
                problems += _spec_problems(spec, f"{at}/events/{name}", None)
        if events.items:
            problems += _spec_problems(events.items, at + "/events/items", None)
    if op.inbound:
        if connector.auth is None or connector.auth.type not in ("header", "hmac"):
            problems.append(Problem(at + "/inbound", "connector_inbound_auth"))
        if (op.write is None) == (op.events is None):
            problems.append(Problem(at + "/inbound", "connector_inbound_target"))
    return problems


def _body_specs(mapping: dict, at: str, scope: Scope | None) -> list[tuple[str, str, Scope | None]]:
    specs: list[tuple[str, str, Scope | None]] = []
    for key, value in mapping.items():
        if isinstance(value, EachDef):
            if value.each.startswith("$"):
                specs.append((at + pointer(key, "each"), value.each, None))
            specs += _body_specs(value.map, at + pointer(key, "map"), None)  # item values come first: no form scope
        else:
            specs.append((at + pointer(key), value, scope))
    return specs


def _spec_problems(spec: str, path: str, scope: Scope | None, template: bool = False) -> list[Problem]:
    try:
        (check_template if template else check_spec)(spec, scope)
    except ExprError as e:
        return [e.problem(path)]
    except MappingError as e:
        return [Problem(path, e.code, e.params)]
    return []


_NOT_WRITABLE = {"autonumber", "formula", "lookup", "rollup", "created_by", "updated_by", "created_at", "updated_at",
                 "divider", "note"}


def _write_problems(op: OperationDef, forms: Mapping[str, Any], at: str) -> list[Problem]:
    write = op.write
    form = forms.get(write.form)
    if form is None:
        return [Problem(at + "/form", "unknown_form", {"key": write.form})]
    writable = {f.key for f in form.fields if f.type not in _NOT_WRITABLE and field_type(f.type) is not None}
    problems = [Problem(at + pointer("values", key), "connector_field", {"form": write.form, "key": key})
                for key in write.values if key not in writable]
    if write.mode != "create" and (write.match is None or write.match not in write.values):
        problems.append(Problem(at + "/match", "connector_match", {"mode": write.mode}))
    for key, spec in write.values.items():
        problems += _spec_problems(spec, at + pointer("values", key), None)
    if write.items:
        problems += _spec_problems(write.items, at + "/items", None)
    return problems


def flow_connector_problems(flows: list[Any], connectors: list[ConnectorDef]) -> list[Problem]:
    """http_request nodes that name a connector: it and its operation exist, and what a waiting node maps the
    response into are variables of the flow."""
    by_key = {c.key: c for c in connectors}
    problems: list[Problem] = []
    for i, flow in enumerate(flows):
        if not isinstance(flow, dict):
            continue
        variables = {v.get("key") for v in flow.get("variables") or [] if isinstance(v, dict)}
        for j, node in enumerate(flow.get("nodes") or []):
            if not isinstance(node, dict) or node.get("type") != "http_request" or not node.get("connector"):
                continue
            at = f"/flows/{i}/nodes/{j}"
            connector = by_key.get(node["connector"])
            if connector is None:
                problems.append(Problem(at + "/connector", "unknown_connector", {"key": node["connector"]}))
                continue
            operation = connector.operation(node.get("operation") or "")
            if operation is None:
                problems.append(Problem(at + "/operation", "unknown_operation",
                                        {"connector": connector.key, "key": node.get("operation")}))
                continue
            if node.get("wait"):
                problems += [Problem(at + "/operation", "connector_variable", {"key": key})
                             for key in operation.response if key not in variables]
    return problems
