"""Calling out and answering in: an HTTP request through the outbox (optionally waiting for the response into a
variable), and the response to the inbound webhook that started this flow."""
from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from engines.flow.effects import HttpRequest as HttpEffect, WebhookResponse as ResponseEffect
from engines.flow.nodes.base import NodeBase, NodeType, TemplateSpec
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem


class HttpRequestDef(NodeBase):
    type: Literal["http_request"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str | None = Field(default=None, min_length=1, max_length=2000,
                            description="a template; must give an http(s) URL (or use connector + operation)")
    connector: str | None = Field(default=None, pattern=KEY_PATTERN, description="an app connector's key")
    operation: str | None = Field(default=None, pattern=KEY_PATTERN,
                                  description="the connector's operation; with wait, its response mapping fills "
                                              "the flow's variables")
    headers: dict[str, str] = Field(default_factory=dict, description="header → template")
    body: str | None = Field(default=None, max_length=20000, description="a template (JSON text, usually)")
    wait: bool = False
    into: str | None = Field(default=None, pattern=KEY_PATTERN, description="a text variable for the response body")
    timeout_seconds: int = Field(default=10, ge=1, le=120)


class WebhookResponseDef(NodeBase):
    type: Literal["webhook_response"]
    status: int = Field(default=200, ge=100, le=599)
    body: str | None = Field(default=None, max_length=20000)
    content_type: str = Field(default="application/json", max_length=100)


class HttpRequest(NodeType):
    key, label, category, props = "http_request", ("HTTP 请求", "HTTP request"), "integration", HttpRequestDef
    outcomes, default_outcome = ("succeeded", "failed"), "succeeded"

    def templates(self, node):
        if node.url is None:  # a connector call: its mappings are the connector's, checked with it
            return []
        specs = [TemplateSpec("url", node.url, ("url",))]
        specs += [TemplateSpec(f"headers.{k}", v, ("headers", k)) for k, v in node.headers.items()]
        if node.body is not None:
            specs.append(TemplateSpec("body", node.body, ("body",)))
        return specs

    def check(self, node, facts):
        problems = []
        if (node.url is None) == (node.connector is None) or (node.connector is None) != (node.operation is None):
            problems.append(Problem("/url" if node.url is None else "/connector", "connector_or_url"))
        elif node.url is not None and not node.url.lower().startswith(("http://", "https://", "{{")):
            problems.append(Problem("/url", "bad_url", {"value": node.url}))
        if node.into:
            if not node.wait:
                problems.append(Problem("/wait", "schema", {"message": "into needs wait: true"}))
            problems += facts.variable_problems(node.into, "/into", kinds=("text",))
        return problems

    def enter(self, run, token, node):
        if node.connector is not None:
            def call(rid):
                return HttpEffect(rid, node.method, "", {}, None, node.wait, node.timeout_seconds, node.connector,
                                  node.operation, run.scope_values())
            if node.wait:
                run.request(token, call)
            else:
                run.emit(call(run.new_id("r")))
                run.advance(token)
            return
        url = run.render(node.id, "url")
        headers = {k: run.render(node.id, f"headers.{k}") for k in node.headers}
        body = run.render(node.id, "body") if node.body is not None else None
        if node.wait:
            run.request(token, lambda rid: HttpEffect(rid, node.method, url, headers, body, True, node.timeout_seconds))
        else:
            run.emit(HttpEffect(run.new_id("r"), node.method, url, headers, body, False, node.timeout_seconds))
            run.advance(token)

    def resume(self, run, token, node, event):
        ok = 200 <= event.status < 300
        if node.connector is not None and isinstance(event.body, dict):  # the operation's response mapping
            for key, value in event.body.items():
                if key in run.flow.variables:
                    run.set_variable(key, value)
        if node.into:
            body = event.body
            run.set_variable(node.into, body if isinstance(body, str) or body is None else json.dumps(body,
                                                                                                       ensure_ascii=False))
        run.log(node.id, "http_response", detail={"status": event.status})
        run.advance(token, "succeeded" if ok else "failed")


class WebhookResponse(NodeType):
    key, label, category, props = "webhook_response", ("Webhook 响应", "Webhook response"), "integration", \
        WebhookResponseDef

    def templates(self, node):
        return [TemplateSpec("body", node.body, ("body",))] if node.body is not None else []

    def check(self, node, facts):
        if facts.flow.trigger.type != "webhook":
            return [Problem("", "flow_webhook_response_trigger")]
        return []

    def enter(self, run, token, node):
        body = run.render(node.id, "body") if node.body is not None else None
        run.emit(ResponseEffect(node.status, body, {"content-type": node.content_type}))
        run.advance(token)
