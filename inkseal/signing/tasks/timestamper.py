"""pyHanko time-stampers backed by our own TSA, called in process (no HTTP to ourselves).

pyHanko asks for time stamps from inside an event loop, where Django refuses database access,
and the TSA numbers its tokens from a database counter. So the serials a signing will need are
reserved beforehand (`reserve_serials`, from the same counter inkseal.pki uses) and handed out
from a per-thread pool. The pool is refilled a block at a time: one counter update per
SERIAL_BLOCK serials instead of one per signing, which would make every signing of every
certificate queue on the counter row. Serials stay unique (RFC 3161 asks no more); a process
that stops leaves the rest of its block unused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper

Responder = Callable[[bytes], bytes]

TSA_SERIAL_COUNTER = "tsa_serial"
SERIAL_BLOCK = 256
_pool = threading.local()


class InProcessTimeStamper(TimeStamper):
    """Sends the RFC 3161 request DER to `respond` (e.g. `TimeStampAuthority.respond`)."""

    def __init__(self, respond: Responder):
        super().__init__(include_nonce=True)
        self._respond = respond

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._respond(req.dump()))

    def respond(self, request_der: bytes) -> bytes:
        """A TimeStampResp (DER) for a TimeStampReq, from the same TSA and serial pool."""
        return self._respond(request_der)


def reserve_serials(count: int) -> None:
    """Make sure this thread holds at least `count` TSA serials for its next signing (call outside
    any event loop). Outside a transaction a block of SERIAL_BLOCK is taken and committed at once,
    and later signings draw on it. Inside one, exactly `count` are taken, for this signing only:
    if that transaction rolls back the counter does too, and its serials must not be used again."""
    from django.db import transaction

    serials: list[int] = getattr(_pool, "serials", [])
    if getattr(_pool, "committed", False) and len(serials) >= count:
        return
    from inkseal.pki.authorities import locked_counter
    from inkseal.pki.models import Counter

    committed = not transaction.get_connection().in_atomic_block
    block = max(count, SERIAL_BLOCK) if committed else count
    with transaction.atomic(savepoint=False):
        # the row exists after the first time stamp: lock it in one query, no savepoints
        counter = Counter.objects.select_for_update(no_key=True).filter(name=TSA_SERIAL_COUNTER).first()
        if counter is None:
            counter = locked_counter(TSA_SERIAL_COUNTER)
        first = counter.value + 1
        counter.value += block
        counter.save(update_fields=["value"])
    _pool.serials, _pool.committed = list(range(first, first + block)), committed


def _next_serial() -> int:
    serials: list[int] = getattr(_pool, "serials", [])
    if not serials:
        raise RuntimeError("no TSA serial reserved for this signing")
    return serials.pop(0)


# per TSA family: (CA generation, monotonic time) of the last look at the TSA row, and the stamper
_current: dict[str, tuple[tuple[object, ...], InProcessTimeStamper]] = {}
_checked: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()


def platform_timestamper(family: str = "ecdsa") -> InProcessTimeStamper:
    """The platform TSA of `family` (inkseal.pki: "ecdsa" for RSA and ECDSA signatures, "sm2" for
    SM2 ones, see authorities.tsa_family_for) with reserved serials; OSError when there is no
    such TSA. One stamper per TSA key: signers cache their size reservation per stamper. Like the
    TSA's HTTP endpoint (pki.responders), the TSA row is looked at again when this process changed
    CA rows and at most every RECHECK_SECONDS otherwise, not on every signature."""
    from inkseal.pki.authorities import generation, parsed_certificate, policy_oids
    from inkseal.pki.authority_setup import active_tsa
    from inkseal.pki.keystore_config import keystore
    from inkseal.pki.responders import RECHECK_SECONDS
    from inkseal.pki.tsa import TimeStampAuthority

    current, (checked_generation, checked_at) = _current.get(family), _checked.get(family, (-1, 0.0))
    policy = policy_oids().time_stamping
    if (
        current is not None
        and checked_generation == generation()
        and time.monotonic() - checked_at < RECHECK_SECONDS
        and current[0][-1] == policy
    ):
        return current[1]
    checking = (generation(), time.monotonic())
    row = active_tsa(family)
    if row is None:
        raise OSError(f"no {family} time-stamp authority configured")
    version: tuple[object, ...] = (row.fingerprint, row.key_backend, row.key_id, policy)
    with _lock:
        _checked[family] = checking
        current = _current.get(family)
        if current is None or current[0] != version:
            chain = [parsed_certificate(bytes(row.parent.certificate_der))] if row.parent else []
            authority = TimeStampAuthority(
                parsed_certificate(bytes(row.certificate_der)),
                keystore(row.key_backend).signer(row.key_id),
                serials=_next_serial,
                chain=chain,
                policy_oid=policy,
            )
            current = (version, InProcessTimeStamper(authority.respond))
            _current[family] = current
        return current[1]
