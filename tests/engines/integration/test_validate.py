"""Connector definitions checked at publish: each problem with its JSON pointer."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.definition import FormDef
from engines.integration import connector_problems, flow_connector_problems, parse_connectors

FORMS = {"product": FormDef.model_validate({"key": "product", "name": "商品", "fields": [
    {"key": "sku", "type": "text"}, {"key": "stock", "type": "number"}, {"key": "no", "type": "autonumber",
                                                                       "pattern": "P{seq:4}"}]})}


def connector(**operations) -> dict:
    return {"key": "erp", "name": "ERP", "base_url": "https://erp.example", "operations": operations or {
        "pull": {"method": "GET", "path": "/stock"}}}


def problems(*docs) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in connector_problems(parse_connectors(list(docs)), FORMS)}


def test_a_sound_connector_has_no_problems():
    assert problems(connector(pull={"method": "GET", "path": "/stock/{sku}", "form": "product",
                                    "query": {"min": "stock + 1"}, "response": {"stock": "$.qty"},
                                    "write": {"form": "product", "match": "sku", "mode": "upsert",
                                              "values": {"sku": "$.sku", "stock": "$.qty"}}})) == set()


@pytest.mark.parametrize("operation,expected", [
    ({"form": "ghost"}, ("/connectors/0/operations/op/form", "unknown_form")),
    ({"form": "product", "query": {"q": "price * 2"}}, ("/connectors/0/operations/op/query/q", "expr_unknown_field")),
    ({"body": {"a": "1 +"}}, ("/connectors/0/operations/op/body/a", "expr_syntax")),
    ({"response": {"x": "$.a["}}, ("/connectors/0/operations/op/response/x", "mapping_bad_path")),
    ({"path": "/x/{1 +}"}, ("/connectors/0/operations/op/path", "expr_syntax")),
    ({"write": {"form": "product", "values": {"no": "$.no"}, "mode": "create"}},
     ("/connectors/0/operations/op/write/values/no", "connector_field")),
    ({"write": {"form": "product", "values": {"stock": "$.qty"}}}, ("/connectors/0/operations/op/write/match",
                                                                     "connector_match")),
    ({"inbound": True, "write": {"form": "product", "mode": "create", "values": {"sku": "$.sku"}}},
     ("/connectors/0/operations/op/inbound", "connector_inbound_auth")),
    ({"events": {"channel": "wecom", "type": "$.Event", "identities": {"unionid": "$.UnionId"}}},
     ("/connectors/0/operations/op/events", "connector_events_inbound")),
])
def test_each_problem_names_its_place(operation, expected):
    assert expected in problems(connector(op=operation))


def test_connector_level_problems():
    bad = {**connector(), "base_url": "ftp://erp.example", "auth": {
        "type": "oauth2_client_credentials", "token_url": "erp.example/token", "client_id": "a", "secret": "s"}}
    assert problems(connector(), bad) == {("/connectors/1/key", "duplicate_key"),
                                          ("/connectors/1/base_url", "connector_url"),
                                          ("/connectors/1/auth/token_url", "connector_url")}


@pytest.mark.parametrize("doc", [
    {**connector(), "auth": {"type": "header", "secret": "Has Space"}},
    {**connector(), "rate_limit": {"per_second": 1, "per_minute": 60}},
    {**connector(), "rate_limit": {}},
    {**connector(), "surprise": 1},
])
def test_shapes_are_refused_by_the_model(doc):
    with pytest.raises(ValidationError):
        parse_connectors([doc])


def test_flow_nodes_name_existing_operations_and_map_into_declared_variables():
    connectors = parse_connectors([connector(pull={"method": "GET", "response": {"stock": "$.qty"}})])
    flows = [{"key": "f", "variables": [{"key": "other", "type": "number"}], "nodes": [
        {"id": "a", "type": "http_request", "connector": "erp", "operation": "pull", "wait": True},
        {"id": "b", "type": "http_request", "connector": "crm", "operation": "pull"},
        {"id": "c", "type": "http_request", "connector": "erp", "operation": "push"}]}]
    assert {(p.path, p.code) for p in flow_connector_problems(flows, connectors)} == {
        ("/flows/0/nodes/0/operation", "connector_variable"), ("/flows/0/nodes/1/connector", "unknown_connector"),
        ("/flows/0/nodes/2/operation", "unknown_operation")}
