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


class SignatureMalformed(SignatureInvalid):
    """The signature bytes are not a well-formed signature (bad DER, values out of range)."""

    code = "signature_malformed"


# --- SM2 encryption and key envelopes (dual certificates) ------------------------------------


class DecryptionFailed(PkiError):
    """A ciphertext that is malformed, tampered with or meant for another key."""

    code = "decryption_failed"


class EnvelopeMalformed(PkiError):
    """Not an SM2EnvelopedKey (GM/T 0009), or one for another algorithm."""

    code = "envelope_malformed"


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


# --- certificates held by the platform (the Django layer raises these, messages translated) --


class CaNotReady(PkiError):
    """No active issuing CA for the algorithm: the operator has not run `inkseal ca init`."""

    code = "ca_not_ready"
    status = 503


class HolderNotEligible(PkiError):
    """The holder is not verified, or lacks the ID number / USCC the subject needs."""

    code = "holder_not_eligible"
    status = 409


class ProfileNotOffered(PkiError):
    code = "profile_not_offered"


class UkeySerialInvalid(PkiError):
    code = "ukey_serial_invalid"


class RevocationReasonInvalid(PkiError):
    code = "revocation_reason_invalid"


class CertificateAlreadyRevoked(PkiError):
    code = "certificate_already_revoked"
    status = 409


class CertificateRevoked(PkiError):
    code = "certificate_revoked"
    status = 409


class CertificateExpired(PkiError):
    code = "certificate_expired"
    status = 409


class CertificateSuperseded(PkiError):
    code = "certificate_superseded"
    status = 409


class CertificateNotForSigning(PkiError):
    """An encryption certificate, a UKEY certificate (key on the token) or another CA's certificate."""

    code = "certificate_not_for_signing"
    status = 409


class RenewalNotAllowed(PkiError):
    code = "renewal_not_allowed"
    status = 409


class ExternalCertificate(PkiError):
    """Another CA's certificate: only its issuer can revoke or renew it."""

    code = "external_certificate"
    status = 409


class ExternalCertificateRejected(PkiError):
    code = "external_certificate_rejected"


class TrustedRootInvalid(PkiError):
    code = "trusted_root_invalid"


# --- cloud certificate PIN -------------------------------------------------------------------


class PinError(PkiError):
    code = "pin_error"


class PinInvalid(PinError):
    """The new PIN does not meet the rules (format, trivial sequences)."""

    code = "pin_invalid"


class PinNotSet(PinError):
    code = "pin_not_set"
    status = 409


class PinAlreadySet(PinError):
    code = "pin_already_set"
    status = 409


class PinIncorrect(PinError):
    code = "pin_incorrect"
    status = 403


class PinLocked(PinError):
    code = "pin_locked"
    status = 423


# --- dual certificates: escrowed encryption keys ---------------------------------------------


class EncryptionKeyUnavailable(PkiError):
    """No escrowed encryption key to deliver or recover for this certificate (or not now)."""

    code = "encryption_key_unavailable"
    status = 409


class KeyRecoveryInvalid(PkiError):
    """Key recovery needs a reason and seals to a usable SM2 signing certificate of the same
    holder, nothing else."""

    code = "key_recovery_invalid"
