"""The FORM section of an app definition."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from engines.form.fields import FieldDef
from engines.form.fields.base import KEY_PATTERN
from engines.form.linkage import LinkageRule

# Field types duplicates may be found on (查重), and how their values are compared: phone numbers by their
# digits without the mainland country code, emails case-blind, other text exactly after trimming (UnionID).
DEDUPE_MATCHING: dict[str, str] = {"phone": "phone", "email": "email", "text": "exact", "url": "exact"}


class DedupeDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[Annotated[str, Field(pattern=KEY_PATTERN)]] = Field(
        min_length=1, max_length=10, description="fields whose equal values mark records as duplicates")


class FormDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    title_field: str | None = Field(default=None, pattern=KEY_PATTERN)
    icon: str | None = Field(default=None, max_length=100)
    fields: list[FieldDef] = Field(min_length=1, max_length=500)
    linkage: list[LinkageRule] = Field(default_factory=list, max_length=200)
    dedupe: DedupeDef | None = None

    @field_validator("dedupe")
    @classmethod
    def _dedupe_keys_are_fields(cls, dedupe: DedupeDef | None, info: ValidationInfo) -> DedupeDef | None:
        fields = {f.key: f for f in info.data.get("fields") or []}
        for key in dedupe.keys if dedupe else []:
            if key not in fields:
                raise ValueError(f"dedupe key {key!r} is not a field of this form / 查重字段「{key}」不存在")
            if fields[key].type not in DEDUPE_MATCHING:
                raise ValueError(f"cannot find duplicates on a {fields[key].type!r} field (only "
                                 f"{', '.join(DEDUPE_MATCHING)}) / 不能按「{fields[key].type}」类型字段查重")
        return dedupe

    def field(self, key: str):
        return next((f for f in self.fields if f.key == key), None)

    def title_key(self) -> str | None:
        """The field shown when another record links here: title_field, else the first text-like field."""
        if self.title_field:
            return self.title_field
        return next((f.key for f in self.fields if f.type in ("text", "autonumber", "phone", "email")), None)
