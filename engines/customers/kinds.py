"""Identity kinds (phone, UnionID, OpenID, email, device id): how each is normalised, which field types may hold
it, and whether it is only unique inside one channel (a WeChat OpenID is per official account / mini-program).

Adding a kind is one class and one entry in KINDS."""
from __future__ import annotations

import re
from typing import Any, ClassVar

from engines._registry import Registry

# What people type between the digits of a phone number: the same set runtime/dedupe.py removes in SQL, so a
# phone found by dedupe and a phone found by identity resolution are the same phone.
PHONE_NOISE = (" ", "-", "+", "(", ")", "（", "）", ".", "/", "\t", "\u3000")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_ID_LENGTH = 128


class IdentityError(ValueError):
    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(code)


class IdentityKind:
    key: ClassVar[str]
    label: ClassVar[tuple[str, str]]  # zh-CN, en
    field_types: ClassVar[tuple[str, ...]] = ("text",)  # customer fields that may hold it
    scoped: ClassVar[bool] = False  # unique only within one channel

    def normalise(self, value: Any) -> str:
        """The value as it is compared and stored; raises IdentityError."""
        if not isinstance(value, str):
            raise IdentityError("identity_not_text")
        text = value.strip()
        if not text:
            raise IdentityError("identity_empty")
        if len(text) > MAX_ID_LENGTH:
            raise IdentityError("too_long", limit=MAX_ID_LENGTH)
        return text

    def field_value(self, normalised: str, raw: Any) -> Any:
        """What goes into the customer's field when it is empty."""
        return normalised


class Phone(IdentityKind):
    key = "phone"
    label = ("手机号", "phone")
    field_types = ("phone",)

    def normalise(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise IdentityError("identity_not_text")
        digits = value.strip()
        for noise in PHONE_NOISE:
            digits = digits.replace(noise, "")
        if not digits:
            raise IdentityError("identity_empty")
        if not digits.isascii() or not digits.isdigit() or not 5 <= len(digits) <= 15:
            raise IdentityError("bad_phone", value=value.strip())
        # 86 / 0086 in front of an 11-digit mainland mobile (the "+" is gone already), as dedupe does
        if len(digits) == 13 and digits.startswith("861"):
            return digits[2:]
        if len(digits) == 15 and digits.startswith("00861"):
            return digits[4:]
        return digits

    def field_value(self, normalised: str, raw: Any) -> Any:
        # a mainland mobile in the one form the phone field stores; anything else as sent, for the field to judge
        return normalised if _MOBILE.match(normalised) else str(raw).strip()


class Email(IdentityKind):
    key = "email"
    label = ("邮箱", "email")
    field_types = ("email",)

    def normalise(self, value: Any) -> str:
        text = super().normalise(value).lower()
        if len(text) > 254 or not _EMAIL.match(text):
            raise IdentityError("bad_email", value=text)
        return text


class UnionId(IdentityKind):
    key = "unionid"
    label = ("微信 UnionID", "WeChat UnionID")


class OpenId(IdentityKind):
    key = "openid"
    label = ("微信 OpenID", "WeChat OpenID")
    field_types = ()  # one per channel: a single customer field cannot say which
    scoped = True


class Device(IdentityKind):
    key = "device"
    label = ("设备号", "device id")


KINDS: Registry[IdentityKind] = Registry("identity kind")
for _kind in (Phone(), UnionId(), OpenId(), Email(), Device()):
    KINDS.register(_kind)
