"""engines/form/fields/contact.py: phone, email and url."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from fieldcases import Err, check, make, params

CASES = [
    # phone: mainland mobiles are stored as 11 digits
    ("phone", {}, "13800000001", "13800000001"),
    ("phone", {}, 13800000001, "13800000001"),
    ("phone", {}, "+86 138-0000-0001", "13800000001"),
    ("phone", {}, "+86-138 0000 0001", "13800000001"),
    ("phone", {}, "0086 13800000001", "13800000001"),
    ("phone", {}, "(+86) 138 0000 0001", "13800000001"),
    ("phone", {}, " 138 0000 0001 ", "13800000001"),
    ("phone", {}, "199-9999-9999", "19999999999"),
    # landlines keep the area-code dash as typed; extensions allowed
    ("phone", {}, "010-12345678", "01012345678"),
    ("phone", {}, "0755-1234567", "07551234567"),
    ("phone", {}, "0755-1234567-89", "07551234567-89"),
    ("phone", {}, "（010）1234 5678", "01012345678"),
    # international: + and digits only
    ("phone", {}, "+1 650 555 1234", "+16505551234"),
    ("phone", {}, "+44-20-7946-0958", "+442079460958"),
    ("phone", {}, "+44 20 7946 0958", "+442079460958"),
    # not phones
    ("phone", {}, "12345", Err("bad_phone", {"value": "12345"})),
    ("phone", {}, "1380000000", Err("bad_phone")),  # 10 digits
    ("phone", {}, "12800000001", Err("bad_phone")),  # no 12x mobiles
    ("phone", {}, "+86 12345", Err("bad_phone")),
    ("phone", {}, "+123", Err("bad_phone")),
    ("phone", {}, "tel:13800000001", Err("bad_phone")),
    ("phone", {}, " abc ", Err("bad_phone", {"value": "abc"})),
    ("phone", {}, True, Err("not_text")),
    ("phone", {}, ["13800000001"], Err("not_text")),
    ("phone", {}, {"number": "13800000001"}, Err("not_text")),
    # email: the domain is case-insensitive, the local part is not
    ("email", {}, "a@b.co", "a@b.co"),
    ("email", {}, "Foo.Bar@Example.COM", "Foo.Bar@example.com"),
    ("email", {}, " x+tag@mail.qq.com ", "x+tag@mail.qq.com"),
    ("email", {}, "no-at-sign", Err("bad_email", {"value": "no-at-sign"})),
    ("email", {}, "a@b", Err("bad_email")),
    ("email", {}, "a@@b.com", Err("bad_email")),
    ("email", {}, "a b@c.com", Err("bad_email")),
    ("email", {}, "a@-b.com", Err("bad_email")),
    ("email", {}, "a" * 250 + "@b.com", Err("bad_email")),  # over 254 characters
    ("email", {}, 5, Err("bad_email")),
    ("email", {}, False, Err("not_text")),
    ("email", {}, ["a@b.co"], Err("not_text")),
    # url: http(s) with a host only
    ("url", {}, "https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
    ("url", {}, "http://localhost:8080", "http://localhost:8080"),
    ("url", {}, " https://work.weixin.qq.com/x ", "https://work.weixin.qq.com/x"),
    ("url", {}, "ftp://example.com", Err("bad_url", {"value": "ftp://example.com"})),
    ("url", {}, "javascript:alert(1)", Err("bad_url")),
    ("url", {}, "example.com", Err("bad_url")),
    ("url", {}, "http://", Err("bad_url")),
    ("url", {}, "http://exa mple.com", Err("bad_url")),
    ("url", {}, "http://[::1", Err("bad_url")),
    ("url", {}, "https://e.com/" + "x" * 2000, Err("bad_url")),
    ("url", {}, True, Err("not_text")),
    ("url", {}, {"href": "https://e.com"}, Err("not_text")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind", ["phone", "email", "url"])
def test_definition_rejects_text_limits(kind):
    # contact types take no pattern or length: their format is fixed
    with pytest.raises(ValidationError):
        make(kind, pattern="x")
