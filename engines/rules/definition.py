"""The RULE section of an app: "when (an event or a schedule) if (condition) then (actions) else (actions)".

    { "key": "vip_tag", "name": "高价值客户", "form": "customer", "on": ["created", "updated"],
      "schedule": "0 2 * * *", "when": "total_spent > 5000",
      "then": [ { "action": "add_tag", "field": "tags", "tag": "高价值客户" } ],
      "else": [ { "action": "remove_tag", "field": "tags", "tag": "高价值客户" } ] }

Actions are a registry (engines/rules/actions); this module holds the rule's own model."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields.base import KEY_PATTERN
from engines.rules.actions import ActionDef

BRANCHES = ("then", "else")


class RuleDef(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool = True
    form: str = Field(pattern=KEY_PATTERN, description="the form whose records the rule looks at and changes")
    on: list[Literal["created", "updated"]] = Field(
        default_factory=list, max_length=2, description="record events that run the rule at once (event time)")
    fields: list[str] = Field(default_factory=list, max_length=200,
                              description="on update: run only when one of these fields changed (empty: any)")
    schedule: str | None = Field(default=None, max_length=100,
                                 description="cron (deployment's zone): the rule runs over every record then")
    when: str | None = Field(default=None, max_length=4000, description="condition; empty: every record")
    then: list[ActionDef] = Field(default_factory=list, max_length=50)
    else_: list[ActionDef] = Field(default_factory=list, max_length=50, alias="else",
                                   description="actions for the records the condition does not hold for")

    def branch(self, name: str) -> list:
        return self.then if name == "then" else self.else_
