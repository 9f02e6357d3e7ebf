"""The VIEWS section of an app: named ways to look at one form's records, each of a registered view type.

    {"key": "order_board", "form": "order", "name": "订单看板", "type": "kanban", "group_by": "status",
     "card_fields": ["customer", "amount"], "filter": "amount > 0", "sort": [{"field": "paid_at", "desc": true}],
     "colors": [{"when": "amount > 1000", "color": "#fa541c"}]}

Every view type shares the base below (filter, sort, colour rules); its own settings live in its model
(engines/views/types/<type>.py). Saved views of a person at run time use the same shapes.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields.base import KEY_PATTERN

COLOR_PATTERN = r"^(#[0-9a-fA-F]{6}|[a-z]{3,20})$"
FieldKey = Field(pattern=KEY_PATTERN)


class SortDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(pattern=KEY_PATTERN)
    desc: bool = False


class ColorRuleDef(BaseModel):
    """A colour for the records meeting `when`: the whole row or card, or only the cell of `field`."""
    model_config = ConfigDict(extra="forbid")
    when: str = Field(min_length=1, max_length=2000, description="a condition over the record's own fields")
    color: str = Field(pattern=COLOR_PATTERN, description="#rrggbb, or a palette name such as red, gold, green")
    field: str | None = Field(default=None, pattern=KEY_PATTERN, description="colour only this column's cell")


class ViewBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    form: str = Field(pattern=KEY_PATTERN, description="the form whose records the view shows")
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    filter: str | None = Field(default=None, max_length=4000, description="only records meeting this condition")
    sort: list[SortDef] = Field(default_factory=list, max_length=5)
    colors: list[ColorRuleDef] = Field(default_factory=list, max_length=20,
                                       description="colour rules, the first that holds wins")

    def settings(self) -> dict:
        """The settings of its type, as written."""
        return self.model_dump(mode="json", exclude_defaults=True, exclude=set(ViewBase.model_fields))
