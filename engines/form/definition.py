"""The FORM section of an app definition."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields import FieldDef
from engines.form.fields.base import KEY_PATTERN


class FormDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    title_field: str | None = Field(default=None, pattern=KEY_PATTERN)
    icon: str | None = Field(default=None, max_length=100)
    fields: list[FieldDef] = Field(min_length=1, max_length=500)
    # Linkage needs the expression engine; the builder rejects it while that engine is missing.
    linkage: list[Any] = Field(default_factory=list)

    def field(self, key: str):
        return next((f for f in self.fields if f.key == key), None)

    def title_key(self) -> str | None:
        """The field shown when another record links here: title_field, else the first text-like field."""
        if self.title_field:
            return self.title_field
        return next((f.key for f in self.fields if f.type in ("text", "autonumber", "phone", "email")), None)
