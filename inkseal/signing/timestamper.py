"""pyHanko time-stampers backed by our own TSA, called in process (no HTTP to ourselves)."""

from __future__ import annotations

from collections.abc import Callable

from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper

Responder = Callable[[bytes], bytes]


class InProcessTimeStamper(TimeStamper):
    """Sends the RFC 3161 request DER to `respond` (e.g. `TimeStampAuthority.respond`)."""

    def __init__(self, respond: Responder):
        super().__init__(include_nonce=True)
        self._respond = respond

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._respond(req.dump()))


_current: tuple[object, InProcessTimeStamper] | None = None


def platform_timestamper() -> InProcessTimeStamper:
    """The platform TSA (inkseal.pki), or OSError when the CA hierarchy has no TSA yet. One
    stamper per TSA instance: signers cache their size reservation per stamper."""
    global _current
    from inkseal.pki.responders import time_stamp_authority

    authority = time_stamp_authority()
    if authority is None:
        raise OSError("no time-stamp authority configured")
    if _current is None or _current[0] is not authority:
        _current = (authority, InProcessTimeStamper(authority.respond))
    return _current[1]
