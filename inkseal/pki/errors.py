"""PKI errors: every refusal carries a stable code (see core.errors.DomainError).

Parsers of untrusted input (CSR, certificate, OCSP GET form) raise the specific subclasses here;
the OCSP responder and the TSA never raise for bad input: they answer with their protocol's own
error status instead.
"""

from __future__ import annotations

from inkseal.core.errors import DomainError


class PkiError(DomainError):
    code = "pki_error"


class UnsupportedAlgorithm(PkiError):
    code = "unsupported_algorithm"


class SignatureInvalid(PkiError):
    code = "signature_invalid"


# --- keystores -------------------------------------------------------------------------------


class KeystoreError(PkiError):
    """The key backend failed (token removed, wrong PIN, ...). Not the user's fault."""

    code = "keystore_error"
    status = 503


class KeyNotFound(KeystoreError):
    code = "key_not_found"
    status = 404


class KeyUnwrapFailed(KeystoreError):
    """A soft-keystore blob did not decrypt: wrong KEK, tampered blob or blob moved to another id."""

    code = "key_unwrap_failed"
    status = 500


class InvalidKek(KeystoreError):
    code = "kek_invalid"
    status = 500


# --- certificates ----------------------------------------------------------------------------


class InvalidSubject(PkiError):
    code = "subject_invalid"


class InvalidValidity(PkiError):
    code = "validity_invalid"


class IssuerExpiresTooSoon(PkiError):
    """The requested validity would outlive the issuing CA; the operator must roll the CA over."""

    code = "issuer_expires_too_soon"
    status = 409


class CaKeyMismatch(PkiError):
    code = "ca_key_mismatch"
    status = 500


class CertificateMalformed(PkiError):
    code = "certificate_malformed"


# --- certificate requests (PKCS#10) ----------------------------------------------------------


class CsrError(PkiError):
    code = "csr_invalid"


class CsrTooLarge(CsrError):
    code = "csr_too_large"
    status = 413


class CsrMalformed(CsrError):
    code = "csr_malformed"


class CsrSignatureInvalid(CsrError):
    code = "csr_signature_invalid"


class CsrUnsupportedKey(CsrError):
    code = "csr_unsupported_key"


class CsrSubjectTooLong(CsrError):
    code = "csr_subject_too_long"


# --- OCSP ------------------------------------------------------------------------------------


class OcspRequestMalformed(PkiError):
    """Raised only by the GET-form decoder; OcspResponder turns it into malformedRequest."""

    code = "ocsp_request_malformed"
