"""The app's `identity` section: which form holds customers, which of its fields hold which identity, the channels
events come from, and which fields channels keep up to date. Checked against the forms at publish."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

from engines.customers.channels import CHANNELS
from engines.customers.kinds import KINDS
from engines.form.fields import field_type
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, pointer


class ChannelDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=100,
                             description="required for a channel of the app's own; built-in channels have one")

    @model_serializer(mode="wrap")
    def _as_written(self, handler):
        """A built-in channel is written as its key alone, as builders write it."""
        return self.key if self.name is None else handler(self)

    def label(self, lang: str = "zh-CN") -> str:
        if self.name:
            return self.name
        zh, en = CHANNELS.get(self.key).label
        return en if lang == "en" else zh


class IdentityDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: str = Field(pattern=KEY_PATTERN, description="the customer form")
    keys: dict[str, str] = Field(default_factory=dict, description=(
        "identity kind (phone, unionid, email, device) → the customer field holding it; kinds not mapped "
        "(openid, always) are kept in the identity store only"))
    channels: list[Annotated[str, Field(pattern=KEY_PATTERN)] | ChannelDef] = Field(
        min_length=1, max_length=100, description=(
            "channels events may come from: built-in keys (wecom, mp, miniapp, douyin, youzan, store…) or "
            "{\"key\", \"name\"} for the app's own"))
    create: bool = Field(default=True, description="an event of an unknown person creates a customer")
    owned: list[str] = Field(default_factory=list, max_length=100, description=(
        "customer fields the channels keep up to date (nickname, avatar…): a newer event overwrites them; "
        "other fields are only filled while empty, never overwriting what staff typed"))

    @field_validator("channels")
    @classmethod
    def _channel_defs(cls, channels: list) -> list[ChannelDef]:
        return [ChannelDef(key=c) if isinstance(c, str) else c for c in channels]

    def channel(self, key: str) -> ChannelDef | None:
        return next((c for c in self.channels if c.key == key), None)

    def field_of(self, kind: str) -> str | None:
        return self.keys.get(kind)


def identity_problems(identity: IdentityDef, forms: dict) -> list[Problem]:
    """Everything wrong with the section given the app's forms (key → FormDef); paths relative to `/identity`."""
    form = forms.get(identity.form)
    problems: list[Problem] = []
    if form is None:
        problems.append(Problem("/form", "unknown_form", {"key": identity.form}))
    fields = {f.key: f for f in form.fields} if form is not None else {}
    holders: dict[str, str] = {}
    for kind_key, field_key in identity.keys.items():
        here = pointer("keys", kind_key)
        if kind_key not in KINDS:
            problems.append(Problem(here, "identity_unknown_kind",
                                    {"kind": kind_key, "known": ", ".join(KINDS.keys())}))
            continue
        kind = KINDS.get(kind_key)
        if form is None:
            continue
        f = fields.get(field_key)
        if f is None:
            problems.append(Problem(here, "unknown_field", {"form": form.key, "key": field_key}))
        elif not kind.field_types:
            problems.append(Problem(here, "identity_kind_scoped", {"kind": kind_key}))
        elif f.type not in kind.field_types:
            problems.append(Problem(here, "identity_field_type", {"kind": kind_key, "key": field_key, "type": f.type,
                                                                  "types": ", ".join(kind.field_types)}))
        elif field_key in holders:
            problems.append(Problem(here, "identity_field_twice", {"key": field_key, "other": holders[field_key]}))
        holders.setdefault(field_key, kind_key)
    seen: dict[str, str] = {}
    for i, channel in enumerate(identity.channels):
        here = pointer("channels", i)
        if channel.key in seen:
            problems.append(Problem(here, "duplicate_key", {"key": channel.key, "other": seen[channel.key]}))
        elif channel.name is None and channel.key not in CHANNELS:
            problems.append(Problem(here, "identity_unknown_channel",
                                    {"key": channel.key, "known": ", ".join(CHANNELS.keys())}))
        seen.setdefault(channel.key, "/identity" + here)
    for i, key in enumerate(identity.owned if form is not None else ()):
        f = fields.get(key)
        if f is None:
            problems.append(Problem(pointer("owned", i), "unknown_field", {"form": form.key, "key": key}))
        elif field_type(f.type).is_generated or f.type == "subtable":
            problems.append(Problem(pointer("owned", i), "identity_field_not_writable", {"key": key, "type": f.type}))
    return problems
