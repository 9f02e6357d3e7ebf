"""Signatures on HTTP bodies: the platform's own webhook signature (timestamped, replay-resistant) and the plain
HMAC digests connectors sign with or verify inbound calls by. Pure: the caller gives the time."""
from __future__ import annotations

import base64
import hashlib
import hmac

ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "sha512": hashlib.sha512}
SIGNATURE_HEADER = "X-Nocode-Signature"
TOLERANCE_SECONDS = 300  # a receiver refuses a signature older than this (replayed)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so an old delivery cannot be
    replayed with a fresh one."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does with X-Nocode-Signature (docs/integration.md has the same in a few lines)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def digest(secret: str, body: bytes, algorithm: str = "sha256", encoding: str = "hex") -> str:
    mac = hmac.new(secret.encode(), body, ALGORITHMS[algorithm])
    return mac.hexdigest() if encoding == "hex" else base64.b64encode(mac.digest()).decode()


def digest_matches(secret: str, body: bytes, given: str, algorithm: str = "sha256", encoding: str = "hex") -> bool:
    expected = digest(secret, body, algorithm, encoding)
    given = given.strip()
    if encoding == "hex":
        given = given.lower().removeprefix(f"{algorithm}=")  # GitHub-style "sha256=<hex>" is common
        return hmac.compare_digest(expected, given)
    return hmac.compare_digest(expected.encode(), given.encode())
