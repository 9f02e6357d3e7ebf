"""The registry of rule actions. Adding one is a class with its property model, registered here."""
from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from engines._registry import Registry
from engines.rules.actions.base import ActionBase, ActionType, ExprSpec, TemplateSpec
from engines.rules.actions.scoring import Churn, ChurnDef, Rfm, RfmDef
from engines.rules.actions.tags import AddTag, AddTagDef, RemoveTag, RemoveTagDef
from engines.rules.actions.values import Score, ScoreDef, SetField, SetFieldDef, StageAction, StageDef
from engines.rules.actions.work import (AssignOwnerAction, AssignOwnerDef, CreateTask, CreateTaskDef,
                                        HttpRequestAction, HttpRequestDef, NotifyAction, NotifyDef,
                                        StartFlowAction, StartFlowDef)

ACTIONS: Registry[ActionType] = Registry("rule action")
for _action in (AddTag(), RemoveTag(), SetField(), Score(), StageAction(), Rfm(), Churn(), AssignOwnerAction(),
                NotifyAction(), CreateTask(), StartFlowAction(), HttpRequestAction()):
    ACTIONS.register(_action)

ActionDef = Annotated[Union[AddTagDef, RemoveTagDef, SetFieldDef, ScoreDef, StageDef, RfmDef, ChurnDef,
                            AssignOwnerDef, NotifyDef, CreateTaskDef, StartFlowDef, HttpRequestDef],
                      Field(discriminator="action")]

__all__ = ["ACTIONS", "ActionBase", "ActionDef", "ActionType", "ExprSpec", "TemplateSpec"]
