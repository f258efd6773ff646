"""pyHanko time-stampers backed by our own TSA, called in process (no HTTP to ourselves).

pyHanko asks for time stamps from inside an event loop, where Django refuses database access,
and the TSA numbers its tokens from a database counter. So the serials a signing will need are
reserved beforehand (`reserve_serials`, in the caller's transaction, from the same counter
inkseal.pki uses) and handed out from a per-thread pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper

Responder = Callable[[bytes], bytes]

TSA_SERIAL_COUNTER = "tsa_serial"
_pool = threading.local()


class InProcessTimeStamper(TimeStamper):
    """Sends the RFC 3161 request DER to `respond` (e.g. `TimeStampAuthority.respond`)."""

    def __init__(self, respond: Responder):
        super().__init__(include_nonce=True)
        self._respond = respond

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._respond(req.dump()))


def reserve_serials(count: int) -> None:
    """Reserve `count` TSA serials for this thread's next signing (call outside any event loop)."""
    from django.db import transaction

    from inkseal.pki.authorities import locked_counter
    from inkseal.pki.models import Counter

    with transaction.atomic(savepoint=False):  # the signing transaction, or one of its own
        # the row exists after the first time stamp: lock it in one query, no savepoints
        counter = Counter.objects.select_for_update(no_key=True).filter(name=TSA_SERIAL_COUNTER).first()
        if counter is None:
            counter = locked_counter(TSA_SERIAL_COUNTER)
        first = counter.value + 1
        counter.value += count
        counter.save(update_fields=["value"])
    _pool.serials = list(range(first, first + count))


def _next_serial() -> int:
    serials: list[int] = getattr(_pool, "serials", [])
    if not serials:
        raise RuntimeError("no TSA serial reserved for this signing")
    return serials.pop(0)


_current: tuple[tuple[object, ...], InProcessTimeStamper] | None = None
_checked: tuple[int, float] = (-1, 0.0)  # (CA generation, monotonic time) of the last look at the TSA row
_lock = threading.Lock()


def platform_timestamper() -> InProcessTimeStamper:
    """The platform TSA (inkseal.pki) with reserved serials; OSError when there is no TSA yet.
    One stamper per TSA key: signers cache their size reservation per stamper. Like the TSA's
    HTTP endpoint (pki.responders), the TSA row is looked at again when this process changed CA
    rows and at most every RECHECK_SECONDS otherwise, not on every signature."""
    global _current, _checked
    from inkseal.pki.authorities import generation, parsed_certificate
    from inkseal.pki.keystore_config import keystore
    from inkseal.pki.models import CertificateAuthority
    from inkseal.pki.responders import RECHECK_SECONDS
    from inkseal.pki.tsa import TimeStampAuthority

    current, (checked_generation, checked_at) = _current, _checked
    if current is not None and checked_generation == generation() and time.monotonic() - checked_at < RECHECK_SECONDS:
        return current[1]
    checking = (generation(), time.monotonic())
    row = (
        CertificateAuthority.objects.filter(role=CertificateAuthority.Role.TSA, active=True)
        .select_related("parent")
        .first()
    )
    if row is None:
        raise OSError("no time-stamp authority configured")
    version: tuple[object, ...] = (row.fingerprint, row.key_backend, row.key_id)
    with _lock:
        _checked = checking
        if _current is None or _current[0] != version:
            chain = [parsed_certificate(bytes(row.parent.certificate_der))] if row.parent else []
            authority = TimeStampAuthority(
                parsed_certificate(bytes(row.certificate_der)),
                keystore(row.key_backend).signer(row.key_id),
                serials=_next_serial,
                chain=chain,
            )
            _current = (version, InProcessTimeStamper(authority.respond))
        return _current[1]
