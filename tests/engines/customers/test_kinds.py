"""Identity kinds: every way people write one phone or email is one identity; WeChat ids stay case-sensitive."""
from __future__ import annotations

import pytest

from engines.customers import KINDS, IdentityError

SAME_PHONE = ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000",
              "86 13800138000", "0086 138 0013 8000", "(138)0013.8000", 13800138000]


@pytest.mark.parametrize("raw", SAME_PHONE)
def test_a_mainland_mobile_in_any_format_is_its_11_digits(raw):
    assert KINDS.get("phone").normalise(raw) == "13800138000"


@pytest.mark.parametrize("raw, expected", [
    ("010-12345678", "01012345678"),  # a landline keeps its area code
    ("+1 202 555 0123", "12025550123"),  # other countries keep theirs
    ("8613800138000", "13800138000"),
    ("861234", "861234"),  # not a mobile behind 86: nothing is cut
])
def test_other_numbers_keep_their_digits(raw, expected):
    assert KINDS.get("phone").normalise(raw) == expected


@pytest.mark.parametrize("raw, code", [("12ab", "bad_phone"), ("１３８", "bad_phone"), ("1234", "bad_phone"),
                                       ("  ", "identity_empty"), (True, "identity_not_text"),
                                       ("1" * 16, "bad_phone")])
def test_what_is_not_a_phone_is_refused(raw, code):
    with pytest.raises(IdentityError) as e:
        KINDS.get("phone").normalise(raw)
    assert e.value.code == code


@pytest.mark.parametrize("raw", ["Amy@Example.com", " amy@example.COM ", "AMY@EXAMPLE.COM"])
def test_emails_are_trimmed_and_lower_cased(raw):
    assert KINDS.get("email").normalise(raw) == "amy@example.com"


def test_a_bad_email_is_refused():
    with pytest.raises(IdentityError) as e:
        KINDS.get("email").normalise("amy@example")
    assert e.value.code == "bad_email"


@pytest.mark.parametrize("kind", ["unionid", "openid", "device"])
def test_ids_are_trimmed_but_case_matters(kind):
    normalise = KINDS.get(kind).normalise
    assert normalise(" oAbc ") == "oAbc" and normalise("oabc") != normalise("oAbc")
    with pytest.raises(IdentityError):
        normalise("x" * 129)


def test_only_openid_is_per_channel_and_fits_no_field():
    assert [k.key for k in KINDS if k.scoped] == ["openid"]
    assert KINDS.get("openid").field_types == ()


def test_a_mobile_goes_into_the_phone_field_in_the_form_the_field_keeps():
    phone = KINDS.get("phone")
    assert phone.field_value("13800138000", "+86 138 0013 8000") == "13800138000"
    assert phone.field_value("12025550123", " +1 202 555 0123 ") == "+1 202 555 0123"
