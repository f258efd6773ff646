"""Signers and validation contexts per certificate: the CMS template and chain built once per
certificate and process, in a bounded cache (SIGNER_CACHE_SIZE). A signer names its key (StoredKey)
and takes it from the keystore at each signature, so cached signers never hold unwrapped keys
beyond the keystore's own bound (PKI_KEY_CACHE_SIZE)."""

from __future__ import annotations

import logging
from datetime import datetime

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko_certvalidator import ValidationContext

from inkseal.core.cache import BoundedCache
from inkseal.pki.keystore_config import StoredKey
from inkseal.pki.longterm import long_term_data
from inkseal.pki.models import Certificate
from inkseal.pki.services import (
    lock_for_signing,
    signing_key,
)
from inkseal.signing.core.gmcms import SIGNATURE_VALIDATOR
from inkseal.signing.core.signer import SealSigner

log = logging.getLogger(__name__)


_signers: BoundedCache[tuple[int, str, str, str], SealSigner] = BoundedCache(lambda: settings.SIGNER_CACHE_SIZE)


def seal_signer(certificate: Certificate | int, at: datetime) -> SealSigner:
    """Lock the certificate row and check it can sign at `at` (lock_for_signing), then the cached
    signer for it."""
    return cached_seal_signer(lock_for_signing(certificate, at))


def cached_seal_signer(locked: Certificate) -> SealSigner:
    """The signer of a certificate `lock_for_signing` returned: the CMS template and chain are
    built once per certificate and process; the key comes from the keystore's cache per signature."""

    def build() -> SealSigner:
        key = signing_key(locked)  # the key exists and matches: checked once, then not held
        stored = StoredKey(locked.key_backend, locked.key_id, key.signer.public_key)
        return SealSigner(stored, key.certificate_der, key.chain)

    return _signers.get_or_put((locked.pk, locked.fingerprint, locked.key_backend, locked.key_id), build)


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
