"""Telling people: notify (a message rendered from a Jinja2 template, sandboxed) and CC (抄送: a read-only entry in
each person's "CC me" list)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from engines.flow.assignees import AssigneeSpec, spec_list
from engines.flow.effects import Notify as NotifyEffect
from engines.flow.nodes.base import NodeBase, NodeType, TemplateSpec


class NotifyDef(NodeBase):
    type: Literal["notify"]
    to: list[AssigneeSpec] = Field(min_length=1)
    template: str = Field(min_length=1, max_length=5000)
    title: str | None = Field(default=None, max_length=200)
    channel: Literal["in_app", "email", "sms", "wecom", "dingtalk"] = "in_app"

    _specs = field_validator("to", mode="before")(lambda cls, v: spec_list(v))


class CcDef(NodeBase):
    type: Literal["cc"]
    to: list[AssigneeSpec] = Field(min_length=1)
    template: str | None = Field(default=None, max_length=5000)

    _specs = field_validator("to", mode="before")(lambda cls, v: spec_list(v))


class Notify(NodeType):
    key, label, category, props = "notify", ("发送通知", "Notify"), "message", NotifyDef

    def templates(self, node):
        specs = [TemplateSpec("template", node.template, ("template",))]
        if node.title:
            specs.append(TemplateSpec("title", node.title, ("title",)))
        return specs

    def check(self, node, facts):
        return facts.assignee_problems(node.to, "/to")

    def enter(self, run, token, node):
        users = tuple(run.resolve(node.to))
        if users:
            title = run.render(node.id, "title") if node.title else None
            run.emit(NotifyEffect(users, run.render(node.id, "template"), "message", title, node.channel, node.id))
        run.log(node.id, "notified", detail={"to": list(users)})
        run.advance(token)


class Cc(NodeType):
    key, label, category, props = "cc", ("抄送", "CC"), "message", CcDef

    def templates(self, node):
        return [TemplateSpec("template", node.template, ("template",))] if node.template else []

    def check(self, node, facts):
        return facts.assignee_problems(node.to, "/to")

    def enter(self, run, token, node):
        run.carbon_copy(token, node.id, run.resolve(node.to), run.render(node.id, "template") if node.template else None)
        run.advance(token)
