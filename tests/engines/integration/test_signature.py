"""Body signatures: the platform's timestamped webhook signature and plain HMAC digests of connectors."""
from __future__ import annotations

import pytest

from engines.integration import digest, digest_matches, sign, verify

BODY = b'{"event":"order.created"}'


def test_a_signature_verifies_only_with_its_secret_body_and_a_fresh_timestamp():
    header = sign("whsec_1", BODY, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify("whsec_1", BODY, header, now=1_700_000_100)
    assert not verify("whsec_2", BODY, header, now=1_700_000_100)
    assert not verify("whsec_1", BODY + b" ", header, now=1_700_000_100)
    assert not verify("whsec_1", BODY, header, now=1_700_000_000 + 301)  # replayed later
    assert not verify("whsec_1", BODY, header.replace("t=1700000000", "t=1700000100"), now=1_700_000_100)
    assert not verify("whsec_1", BODY, "garbage", now=1_700_000_000)


@pytest.mark.parametrize("algorithm,encoding,given", [
    ("sha256", "hex", "7c0b5a5f8f4e0d3c"),
    ("sha1", "hex", None), ("sha512", "base64", None), ("sha256", "base64", None)])
def test_digests_match_what_they_were_made_from(algorithm, encoding, given):
    made = digest("k", BODY, algorithm, encoding)
    assert digest_matches("k", BODY, made, algorithm, encoding)
    assert not digest_matches("k", BODY + b"x", made, algorithm, encoding)
    assert not digest_matches("other", BODY, made, algorithm, encoding)
    if given is not None:
        assert not digest_matches("k", BODY, given, algorithm, encoding)


def test_a_github_style_prefixed_hex_digest_is_accepted():
    assert digest_matches("k", BODY, "sha256=" + digest("k", BODY).upper())
