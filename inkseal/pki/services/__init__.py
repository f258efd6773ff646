"""Certificate operations, one module per idea: issuance (cloud key or UKEY request), renewal,
revocation, the access gate for portal pages, and what the signing code needs (`signing_key_for`).

Dual certificates (双证书): an enterprise SM2 signing certificate comes with an encryption
certificate over a key that key management makes and escrows (`keystore_config.escrow_keystore`,
its own KEK). The pair is issued, renewed and revoked together; delivery of the encryption key to
a UKEY and its recovery are in `escrow.py`.

check_* validate and raise a DomainError with a translated message; the operations change state in
one transaction with their audit row inside it and lock the certificate row (then its CA) first.
The algorithm is always a parameter: SM2 arrives as another registered `Algorithm`.

This package re-exports the names other apps use (`pki.issue_cloud_certificate`); modules inside
it import from each other's module directly.
"""

from inkseal.pki.services.chain_cache import certificate_chain
from inkseal.pki.services.eligibility import check_csr, check_holder, check_ukey_serial
from inkseal.pki.services.issuance import issue_cloud_certificate, issue_from_csr
from inkseal.pki.services.lookup import certificate_for, certificate_pem, certificates_of, chain_pem, check_can_manage
from inkseal.pki.services.renewal import check_renewable, renew_certificate
from inkseal.pki.services.revocation import check_unrevoked, reason_choices, revocation_instant, revoke_certificate
from inkseal.pki.services.signing_keys import (
    certificate_for_signing,
    check_can_sign,
    lock_for_signing,
    signing_key,
    signing_key_for,
)

__all__ = [
    "certificate_chain",
    "certificate_for",
    "certificate_for_signing",
    "certificate_pem",
    "certificates_of",
    "chain_pem",
    "check_can_manage",
    "check_can_sign",
    "check_csr",
    "check_holder",
    "check_renewable",
    "check_ukey_serial",
    "check_unrevoked",
    "issue_cloud_certificate",
    "issue_from_csr",
    "lock_for_signing",
    "reason_choices",
    "renew_certificate",
    "revocation_instant",
    "revoke_certificate",
    "signing_key",
    "signing_key_for",
]
