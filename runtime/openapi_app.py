"""An app's own OpenAPI 3.1 document, generated from its published definition: every form's record endpoints with
request and response schemas built from its fields (`customer.phone: string (phone)`, a select's option values, a
relation's record id), the X-API-Key scheme, the outbound webhook events and the inbound connector endpoints."""
from __future__ import annotations

from typing import Any

from engines.form.fields import field_type
from runtime.tables import AppSchema

_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "string", "description": "JSON pointer of the place, e.g. /items/3/phone"},
            "code": {"type": "string"}, "message": {"type": "string"}}}}}}}}
_SYSTEM = {"id": {"type": "integer", "readOnly": True}, "version": {"type": "integer", "readOnly": True},
           "created_at": {"type": "string", "format": "date-time", "readOnly": True},
           "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
           "created_by": {"type": ["integer", "null"], "readOnly": True},
           "updated_by": {"type": ["integer", "null"], "readOnly": True},
           "owner": {"type": ["integer", "null"], "description": "user id of the record's owner"}}
_LINKED = {"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": ["string", "null"]}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict:
    names = {400: "bad query", 401: "not signed in", 403: "not allowed", 404: "not found", 409: "stale version",
             422: "invalid input: every problem with its place"}
    return {str(s): {"description": names[s], "content": {"application/json": {"schema": _ref("error")}}}
            for s in statuses}


def _json(schema: dict, description: str = "") -> dict:
    return {"description": description or "OK", "content": {"application/json": {"schema": schema}}}


def _valued(fields):
    """Fields that hold a value (not layout items), with their type."""
    for f in fields:
        ftype = field_type(f.type)
        if ftype.storage_for(f) is not None or f.type in ("relation", "subtable"):
            yield f, ftype


def form_schemas(form) -> dict[str, dict]:
    """{key}: a record as the API returns it; {key}_input: what create takes; {key}_patch: what PATCH takes."""
    output: dict[str, Any] = {"id": _SYSTEM["id"]}
    writable: dict[str, Any] = {}
    for f, ftype in _valued(form.fields):
        schema = ftype.json_schema(f)
        if f.type == "relation":  # written as ids, read back with the linked record's title
            shown = {"type": "array", "items": _LINKED} if f.many else dict(_LINKED)
            output[f.key] = {**shown, **{k: v for k, v in schema.items() if k == "title"}}
        else:
            output[f.key] = schema
        if not ftype.is_generated:
            writable[f.key] = {k: v for k, v in schema.items() if k != "readOnly"}
    output.update({k: v for k, v in _SYSTEM.items() if k != "id"})
    required = [f.key for f, ftype in _valued(form.fields) if f.required and not ftype.is_generated
                and f.default is None]
    create = {"type": "object", "properties": {**writable, "owner": _SYSTEM["owner"]}, "additionalProperties": False}
    if required:
        create["required"] = required
    patch = {"type": "object", "properties": {**writable, "owner": _SYSTEM["owner"], "version": {
        "type": "integer", "description": "the version read; a stale one answers 409"}}, "additionalProperties": False}
    title = form.name or form.key
    return {form.key: {"type": "object", "title": title, "properties": output},
            f"{form.key}_input": {"type": "object", "title": f"{title} (create)", **create},
            f"{form.key}_patch": {"type": "object", "title": f"{title} (update)", **patch},
            f"{form.key}_page": {"type": "object", "properties": {
                "items": {"type": "array", "items": _ref(form.key)}, "total": {"type": "integer"},
                "page": {"type": "integer"}, "page_size": {"type": "integer"}}}}


def _record_paths(app: str, form) -> dict[str, dict]:
    base = f"/api/apps/{app}/forms/{form.key}/records"
    tag = [form.name or form.key]
    record_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    listing = [
        {"name": "filter", "in": "query", "schema": {"type": "string"},
         "description": "an expression over the form's fields, e.g. status = 'paid' AND amount > 100"},
        {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "-paid_at,no"},
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "text search"},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                         "default": 50}}]
    one = lambda s: {"required": True, "content": {"application/json": {"schema": s}}}  # noqa: E731
    return {
        base: {
            "get": {"operationId": f"list_{form.key}", "tags": tag, "summary": f"List {form.key} records",
                    "parameters": listing, "responses": {"200": _json(_ref(f"{form.key}_page")), **_errors(400, 403)}},
            "post": {"operationId": f"create_{form.key}", "tags": tag, "summary": f"Create a {form.key} record",
                     "requestBody": one(_ref(f"{form.key}_input")),
                     "responses": {"201": _json(_ref(form.key), "created"), **_errors(403, 422)}}},
        f"{base}/{{id}}": {
            "parameters": [record_id],
            "get": {"operationId": f"get_{form.key}", "tags": tag, "summary": f"One {form.key} record",
                    "responses": {"200": _json(_ref(form.key)), **_errors(403, 404)}},
            "patch": {"operationId": f"update_{form.key}", "tags": tag, "summary": f"Change a {form.key} record",
                      "requestBody": one(_ref(f"{form.key}_patch")),
                      "responses": {"200": _json(_ref(form.key)), **_errors(403, 404, 409, 422)}},
            "delete": {"operationId": f"delete_{form.key}", "tags": tag, "summary": f"Delete a {form.key} record",
                       "responses": {"204": {"description": "deleted"}, **_errors(403, 404)}}},
        f"{base}/bulk": {"post": {
            "operationId": f"bulk_create_{form.key}", "tags": tag, "summary": "Create many, all or nothing",
            "requestBody": one({"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": _ref(f"{form.key}_input")}}}),
            "responses": {"201": _json({"type": "object", "properties": {
                "count": {"type": "integer"}, "ids": {"type": "array", "items": {"type": "integer"}}}}),
                **_errors(403, 422)}}},
        f"{base}/import": {"post": {
            "operationId": f"import_{form.key}", "tags": tag, "summary": "Import rows of an .xlsx or .csv file",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                    "mapping": {"type": "string", "description": "JSON: column header → field key"},
                    "mode": {"type": "string", "enum": ["all_or_nothing", "good_rows"]}}}}}},
            "responses": {"200": _json({"type": "object"}, "the row report"), **_errors(403, 422)}}},
        f"{base}/export": {"get": {
            "operationId": f"export_{form.key}", "tags": tag, "summary": "Export as .xlsx or .csv",
            "parameters": [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["xlsx", "csv"]}},
                           listing[0]],
            "responses": {"200": {"description": "the file"}, **_errors(400, 403)}}},
    }


def _webhooks(app: str, forms) -> dict[str, dict]:
    """OpenAPI 3.1 `webhooks`: what a subscription receives for each form event."""
    out = {}
    for form in forms:
        for action in ("created", "updated", "deleted"):
            record = {"type": "object", "description": "the record as stored when deleted"} if action == "deleted" \
                else _ref(form.key)
            payload = {"type": "object", "required": ["id", "event", "app", "form", "occurred_at", "record"],
                       "properties": {"id": {"type": "string", "description": "event id: the same on redelivery"},
                                      "event": {"const": f"{form.key}.{action}"}, "app": {"const": app},
                                      "form": {"const": form.key},
                                      "occurred_at": {"type": "string", "format": "date-time"}, "record": record}}
            if action == "updated":
                payload["properties"]["changed"] = {"type": "array", "items": {"type": "string"}}
            out[f"{form.key}.{action}"] = {"post": {
                "summary": f"{form.name or form.key}: {action}",
                "description": "Signed: X-Nocode-Signature: t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'> with the "
                               "subscription's secret. X-Nocode-Delivery names the delivery.",
                "parameters": [{"name": "X-Nocode-Signature", "in": "header", "required": True,
                                "schema": {"type": "string"}},
                               {"name": "X-Nocode-Event", "in": "header", "schema": {"type": "string"}},
                               {"name": "X-Nocode-Delivery", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": payload}}},
                "responses": {"200": {"description": "any 2xx: delivered; 408/425/429/5xx: retried"}}}}
    return out


def _connector_paths(app: str, connectors) -> dict[str, dict]:
    out = {}
    for connector in connectors:
        auth = connector.auth
        for key, op in connector.operations.items():
            if not op.inbound:
                continue
            how = (f"header {auth.header}: {auth.algorithm} HMAC ({auth.encoding}) of the raw body"
                   if auth.type == "hmac" else f"header {auth.name}: {auth.prefix}<secret>")
            target = (f"customer events (channel {op.events.channel})" if op.events is not None
                      else f"{op.write.mode} of {op.write.form} records")
            out[f"/api/hooks/{app}/connectors/{connector.key}/{key}"] = {"post": {
                "operationId": f"inbound_{connector.key}_{key}", "tags": [f"connector {connector.name}"],
                "summary": op.description or f"{connector.name}: {key}", "security": [],
                "description": f"Verified by {how}. Mapped into {target}. JSON, or XML for WeChat-style callbacks.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}},
                                                              "text/xml": {"schema": {"type": "string"}}}},
                "responses": {"200": _json({"type": "object"}, "accepted: counts of what was written"),
                              **_errors(401, 404, 422)}}}
    return out


def app_openapi(schema: AppSchema) -> dict:
    app = schema.definition
    schemas: dict[str, dict] = {"error": _ERROR}
    paths: dict[str, dict] = {}
    for form in app.forms:
        schemas.update(form_schemas(form))
        paths.update(_record_paths(app.key, form))
    paths.update(_connector_paths(app.key, app.connectors))
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{app.name} API", "version": f"{app.version} (published version {schema.version})",
                 "description": app.description or f"Records of the app {app.key!r}. Integrations send X-API-Key "
                                                    "(POST /api/admin/api-keys); people a bearer token."},
        "servers": [{"url": "/"}],
        "security": [{"api_key": []}, {"bearer": []}],
        "paths": paths,
        "webhooks": _webhooks(app.key, app.forms),
        "components": {"schemas": schemas, "securitySchemes": {
            "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                        "description": "a key for one app and role, from POST /api/admin/api-keys"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/auth/login"}}},
    }
