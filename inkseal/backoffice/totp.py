"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), with the standard library's hmac.

Pure: no Django imports. Secrets are 20 random bytes (SHA-1, 6 digits, 30 s steps: what
authenticator apps use); `matching_step` accepts one step of clock drift either way and returns
the step that matched, so that the caller can refuse a code already used.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> bytes:
    return secrets.token_bytes(20)


def hotp(secret: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """RFC 4226 section 5.3: dynamic truncation of HMAC(secret, counter)."""
    digest = hmac.digest(secret, struct.pack(">Q", counter), algorithm)
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_at(at: float) -> int:
    return int(at // STEP_SECONDS)


def code(secret: bytes, at: float, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    return hotp(secret, step_at(at), digits=digits, algorithm=algorithm)


def matching_step(secret: bytes, candidate: str, at: float, *, drift: int = 1) -> int | None:
    """The time step whose code `candidate` is (within `drift` steps of `at`), or None."""
    candidate = candidate.strip()
    if len(candidate) != DIGITS or not candidate.isdigit():
        return None
    now = step_at(at)
    found = None
    for step in range(now - drift, now + drift + 1):  # compare every step: no early exit on a match
        if hmac.compare_digest(hotp(secret, step), candidate):
            found = step
    return found


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def from_base32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read from the enrolment QR code."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": base32(secret), "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"
