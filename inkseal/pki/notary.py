"""The platform's TSA as the audit log's notary: it time-stamps the chain head (audit anchors) and
checks a stored stamp. Registered with the audit app in PkiConfig.ready(), so the audit log (a
lower layer) never imports pki."""

from __future__ import annotations

from datetime import datetime

from inkseal.pki import anchor_stamps
from inkseal.pki.models import CertificateAuthority
from inkseal.pki.responders import time_stamp_authority


def stamp(statement: bytes) -> tuple[bytes, datetime] | None:
    """Our TSA's token over `statement` and the time it states; None before the hierarchy exists."""
    tsa = time_stamp_authority()
    if tsa is None:
        return None
    request, nonce = anchor_stamps.time_stamp_request(statement)
    token = anchor_stamps.token_from_response(tsa.respond(request), nonce)
    return token, anchor_stamps.check_token(token, statement).stamped_at


def check(token: bytes, statement: bytes) -> None:
    """ValueError unless `token` covers `statement` and was signed by one of our TSAs."""
    stamped = anchor_stamps.check_token(token, statement)  # AnchorTokenInvalid is a ValueError
    ours = CertificateAuthority.objects.filter(
        role=CertificateAuthority.Role.TSA, fingerprint=stamped.tsa_fingerprint
    ).exists()
    if not ours:
        raise ValueError("time-stamped by a certificate that is not our TSA")
