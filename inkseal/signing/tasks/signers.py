"""Signers and validation contexts per certificate: the CMS template and key handle built once per
certificate and process."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext

from inkseal.pki.longterm import long_term_data
from inkseal.pki.models import Certificate
from inkseal.pki.services import (
    lock_for_signing,
    signing_key,
)
from inkseal.signing.core.gmcms import SIGNATURE_VALIDATOR
from inkseal.signing.core.signer import SealSigner

log = logging.getLogger(__name__)


_signers: dict[tuple[int, str, str, str], SealSigner] = {}


_signers_lock = threading.Lock()


def seal_signer(certificate: Certificate | int, at: datetime) -> SealSigner:
    """Lock the certificate row and check it can sign at `at` (lock_for_signing), then the cached
    signer for it."""
    return cached_seal_signer(lock_for_signing(certificate, at))


def cached_seal_signer(locked: Certificate) -> SealSigner:
    """The signer of a certificate `lock_for_signing` returned: the CMS template, key handle and
    chain are built once per certificate and process (the key is not unwrapped per signature)."""
    cache_key = (locked.pk, locked.fingerprint, locked.key_backend, locked.key_id)
    with _signers_lock:
        signer = _signers.get(cache_key)
    if signer is None:
        key = signing_key(locked)
        with _signers_lock:
            signer = _signers.setdefault(cache_key, SealSigner(key.signer, key.certificate_der, key.chain))
    return signer


def validation_context(certificate: Certificate) -> ValidationContext:
    """For B-LT: the roots of the signer's and the TSA's chains, the CRLs of the CAs on them and
    our OCSP responder's answers for the signer and the TSA (the DSS carries them, and nothing
    else: pki.longterm), no fetching over the network."""
    data = long_term_data(certificate)
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in data.trust_roots],
        other_certs=[asn1_x509.Certificate.load(der) for der in data.ca_certificates],
        crls=list(data.crls),
        ocsps=[asn1_ocsp.OCSPResponse.load(der) for der in data.ocsp_responses],
        allow_fetching=False,
        revocation_mode="hard-fail",
        signature_validator=SIGNATURE_VALIDATOR,  # SM2 chains and CRLs
    )
