"""A tree: records nested under the record their parent field (a relation to the same form) names."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN
from engines.views.definition import ViewBase
from engines.views.types.base import ViewType


class TreeViewDef(ViewBase):
    type: Literal["tree"]
    parent: str = Field(pattern=KEY_PATTERN, description="a one-record relation to this same form")
    columns: list[str] = Field(default_factory=list, max_length=100,
                               description="field keys in order; empty: every field")


class TreeView(ViewType):
    key = "tree"
    model = TreeViewDef
    label = ("树形", "Tree")

    def problems(self, view: TreeViewDef, check) -> list:
        check.field_of(view.parent, "/parent", "parent")
        check.columns(view.columns, "/columns")
        return []
