"""Connectors as data (the app's `connectors` section): a base URL, how to authenticate, a rate limit, and named
operations — an outbound call (method, path template, query, headers, body mapping, response mapping) and/or an
inbound endpoint (payload → record writes or customer events). Secrets are named, never written here."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.form.fields.base import KEY_PATTERN

SECRET_NAME = r"^[a-z][a-z0-9_.-]{0,99}$"
HEADER_NAME = r"^[A-Za-z0-9-]{1,100}$"
IDENTITY_KINDS = ("phone", "unionid", "openid", "email", "device")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeaderAuthDef(_Strict):
    """A fixed token in a header (`Authorization: Bearer …`, `X-Api-Key: …`); inbound calls must carry it too."""
    type: Literal["header"]
    name: str = Field(default="Authorization", pattern=HEADER_NAME)
    prefix: str = Field(default="", max_length=40, description='e.g. "Bearer "')
    secret: str = Field(pattern=SECRET_NAME, description="name of a platform secret (PUT /api/admin/secrets/{name})")


class HmacAuthDef(_Strict):
    """Bodies signed with a shared secret: outbound calls carry the digest, inbound calls must match it."""
    type: Literal["hmac"]
    secret: str = Field(pattern=SECRET_NAME)
    header: str = Field(default="X-Signature", pattern=HEADER_NAME)
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"


class OAuth2AuthDef(_Strict):
    """OAuth 2.0 client credentials: a token from `token_url`, cached until it expires."""
    type: Literal["oauth2_client_credentials"]
    token_url: str = Field(min_length=8, max_length=2000)
    client_id: str = Field(min_length=1, max_length=200)
    secret: str = Field(pattern=SECRET_NAME, description="the client secret's name in the platform secret store")
    scope: str | None = Field(default=None, max_length=500)


AuthDef = Annotated[Union[HeaderAuthDef, HmacAuthDef, OAuth2AuthDef], Field(discriminator="type")]


class RateLimitDef(_Strict):
    per_second: float | None = Field(default=None, gt=0, le=1000)
    per_minute: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one(self) -> "RateLimitDef":
        if (self.per_second is None) == (self.per_minute is None):
            raise ValueError("give exactly one of per_second and per_minute")
        return self

    @property
    def window(self) -> tuple[int, int]:
        """(window seconds, calls allowed in it)."""
        if self.per_minute is not None:
            return 60, self.per_minute
        per_second = self.per_second or 1
        return (1, int(per_second)) if per_second >= 1 else (round(1 / per_second), 1)


class EachDef(_Strict):
    """A list mapped item by item: `each` names the list (a sub-table, a path), `map` maps one item."""
    each: str = Field(min_length=1, max_length=500)
    map: dict[str, Union[str, "EachDef"]]


MappingValue = Union[str, EachDef]


class WriteDef(_Strict):
    """Records written from a document (a pulled response, an inbound payload) through the validated write path."""
    form: str = Field(pattern=KEY_PATTERN)
    items: str | None = Field(default=None, max_length=500, description="a $ path to the list of items; "
                                                                            "default: the document is one item")
    mode: Literal["create", "update", "upsert"] = "upsert"
    match: str | None = Field(default=None, pattern=KEY_PATTERN, description="the field that finds the record")
    values: dict[str, str] = Field(min_length=1, description="field → $ path into the item, or an expression")


class EventsDef(_Strict):
    """Customer events (behaviour and identities) handed to the customer-event store."""
    channel: str = Field(pattern=KEY_PATTERN, description="wecom, miniprogram, youzan, …")
    items: str | None = Field(default=None, max_length=500)
    type: str = Field(min_length=1, max_length=500, description="spec of the event type, e.g. $.ChangeType")
    id: str | None = Field(default=None, max_length=500, description="spec of the channel's event id (repeats dropped)")
    occurred_at: str | None = Field(default=None, max_length=500)
    identities: dict[Literal["phone", "unionid", "openid", "email", "device"], str] = Field(min_length=1)
    profile: dict[str, str] = Field(default_factory=dict)
    data: dict[str, str] = Field(default_factory=dict)


class OperationDef(_Strict):
    description: str | None = Field(default=None, max_length=500)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = Field(default="", max_length=1000, description="after base_url; {spec} placeholders, e.g. /stock/{sku}")
    form: str | None = Field(default=None, pattern=KEY_PATTERN,
                             description="the form whose record the mappings read (checked at publish)")
    query: dict[str, str] = Field(default_factory=dict, description="parameter → spec")
    headers: dict[str, str] = Field(default_factory=dict, description="header → text with {spec} placeholders")
    body: dict[str, MappingValue] | None = Field(default=None, description="JSON body: key (a.b nests) → spec")
    idempotency_key: str | None = Field(default=None, max_length=500,
                                        description="spec of the Idempotency-Key sent (default: one per job)")
    response: dict[str, str] = Field(default_factory=dict,
                                     description="target (a flow variable, a result key) → $ path or expression "
                                                 "over `response`")
    write: WriteDef | None = None
    inbound: bool = Field(default=False, description="accepts POST /api/hooks/{app}/connectors/{connector}/{operation}")
    events: EventsDef | None = None
    timeout_seconds: int = Field(default=20, ge=1, le=120)


class ConnectorDef(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    base_url: str = Field(min_length=8, max_length=2000)
    auth: AuthDef | None = None
    rate_limit: RateLimitDef | None = None
    operations: dict[str, OperationDef] = Field(min_length=1, max_length=100)

    def operation(self, key: str) -> OperationDef | None:
        return self.operations.get(key)


def parse_connectors(docs: list[Any]) -> list[ConnectorDef]:
    return [ConnectorDef.model_validate(doc) for doc in docs]
