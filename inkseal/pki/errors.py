"""PKI errors: every refusal carries a stable code (see core.errors.DomainError).

Parsers of untrusted input (CSR, certificate, OCSP GET form) raise the specific subclasses here;
the OCSP responder and the TSA never raise for bad input: they answer with their protocol's own
error status instead.
"""

from __future__ import annotations

from inkseal.core.errors import DomainError, gettext_lazy


class PkiError(DomainError):
    code = "pki_error"
    default_message = gettext_lazy("证书操作失败。")


class UnsupportedAlgorithm(PkiError):
    code = "unsupported_algorithm"
    default_message = gettext_lazy("不支持该密钥算法。")


class SignatureInvalid(PkiError):
    code = "signature_invalid"
    default_message = gettext_lazy("签名值验证失败。")


class SignatureMalformed(SignatureInvalid):
    """The signature bytes are not a well-formed signature (bad DER, values out of range)."""

    code = "signature_malformed"
    default_message = gettext_lazy("签名值格式无效。")


# --- SM2 encryption and key envelopes (dual certificates) ------------------------------------


class DecryptionFailed(PkiError):
    """A ciphertext that is malformed, tampered with or meant for another key."""

    code = "decryption_failed"
    default_message = gettext_lazy("解密失败：密文已损坏或不是发给该密钥的。")


class EnvelopeMalformed(PkiError):
    """Not an SM2EnvelopedKey (GM/T 0009), or one for another algorithm."""

    code = "envelope_malformed"
    default_message = gettext_lazy("密钥信封格式无效。")


# --- keystores -------------------------------------------------------------------------------


class KeystoreError(PkiError):
    """The key backend failed (token removed, wrong PIN, ...). Not the user's fault."""

    code = "keystore_error"
    status = 503
    default_message = gettext_lazy("密钥服务暂不可用，请稍后重试。")


class KeyNotFound(KeystoreError):
    code = "key_not_found"
    status = 404
    default_message = gettext_lazy("未找到证书的密钥。")


class KeyUnwrapFailed(KeystoreError):
    """A soft-keystore blob did not decrypt: wrong KEK, tampered blob or blob moved to another id."""

    code = "key_unwrap_failed"
    status = 500
    default_message = gettext_lazy("证书密钥无法解封，请联系运营人员。")


class InvalidKek(KeystoreError):
    code = "kek_invalid"
    status = 500
    default_message = gettext_lazy("密钥加密密钥（KEK）无效。")


# --- certificates ----------------------------------------------------------------------------


class InvalidSubject(PkiError):
    code = "subject_invalid"
    default_message = gettext_lazy("证书主题信息不符合要求：名称须为 1–64 个字符且不含控制字符。")


class InvalidValidity(PkiError):
    code = "validity_invalid"
    default_message = gettext_lazy("证书有效期须为 1、2 或 3 年。")


class IssuerExpiresTooSoon(PkiError):
    """The requested validity would outlive the issuing CA; the operator must roll the CA over."""

    code = "issuer_expires_too_soon"
    status = 409
    default_message = gettext_lazy("签发CA的剩余有效期不足以覆盖所选年限，请联系运营人员。")


class CaKeyMismatch(PkiError):
    code = "ca_key_mismatch"
    status = 500
    default_message = gettext_lazy("CA证书与其私钥不匹配。")


class CertificateMalformed(PkiError):
    code = "certificate_malformed"
    default_message = gettext_lazy("证书无法解析。")


# --- certificate requests (PKCS#10) ----------------------------------------------------------


class CsrError(PkiError):
    code = "csr_invalid"
    default_message = gettext_lazy("证书请求无效。")
    speaks_english = True


class CsrTooLarge(CsrError):
    code = "csr_too_large"
    default_message = gettext_lazy("证书请求文件过大（不超过 16 KB）。")
    status = 413


class CsrMalformed(CsrError):
    code = "csr_malformed"
    default_message = gettext_lazy("证书请求不是有效的 PKCS#10 格式（PEM 或 DER）。")


class CsrSignatureInvalid(CsrError):
    code = "csr_signature_invalid"
    default_message = gettext_lazy("证书请求的自签名验证失败，请在 UKEY 上重新生成。")


class CsrUnsupportedKey(CsrError):
    code = "csr_unsupported_key"
    default_message = gettext_lazy("证书请求的密钥算法或长度不受支持（支持 RSA-2048、RSA-3072、ECDSA P-256）。")


class CsrSubjectTooLong(CsrError):
    code = "csr_subject_too_long"
    default_message = gettext_lazy("证书请求中的主题信息过长。")


# --- OCSP ------------------------------------------------------------------------------------


class OcspRequestMalformed(PkiError):
    """Raised only by the GET-form decoder; OcspResponder turns it into malformedRequest."""

    code = "ocsp_request_malformed"
    default_message = gettext_lazy("OCSP 请求格式无效。")


# --- certificates held by the platform (the Django layer raises these, messages translated) --


class CaNotReady(PkiError):
    """No active issuing CA for the algorithm: the operator has not run `inkseal ca init`."""

    code = "ca_not_ready"
    status = 503
    default_message = gettext_lazy("证书签发服务尚未就绪，请联系运营人员。")


class HolderNotEligible(PkiError):
    """The holder is not verified, or lacks the ID number / USCC the subject needs."""

    code = "holder_not_eligible"
    status = 409
    default_message = gettext_lazy("尚未完成实名认证，不能办理证书。")


class ProfileNotOffered(PkiError):
    code = "profile_not_offered"
    default_message = gettext_lazy("不提供该类型的证书（个人证书仅有签名证书）。")


class UkeySerialInvalid(PkiError):
    code = "ukey_serial_invalid"
    default_message = gettext_lazy("UKEY 序列号须为 1–64 位字母、数字、点、横线或下划线。")


class RevocationReasonInvalid(PkiError):
    code = "revocation_reason_invalid"
    default_message = gettext_lazy("请选择吊销原因。")


class CertificateAlreadyRevoked(PkiError):
    code = "certificate_already_revoked"
    status = 409
    default_message = gettext_lazy("该证书已吊销。")


class CertificateRevoked(PkiError):
    code = "certificate_revoked"
    status = 409
    default_message = gettext_lazy("证书已吊销。")


class CertificateExpired(PkiError):
    code = "certificate_expired"
    status = 409
    default_message = gettext_lazy("证书不在有效期内，不能签章。")


class CertificateSuperseded(PkiError):
    code = "certificate_superseded"
    status = 409
    default_message = gettext_lazy("证书已续期，请使用续期后的新证书签章。")


class CertificateNotForSigning(PkiError):
    """An encryption certificate, a UKEY certificate (key on the token) or another CA's certificate."""

    code = "certificate_not_for_signing"
    status = 409
    default_message = gettext_lazy("该证书不能用于签章。")


class RenewalNotAllowed(PkiError):
    code = "renewal_not_allowed"
    status = 409
    default_message = gettext_lazy("该证书不能续期。")


class ExternalCertificate(PkiError):
    """Another CA's certificate: only its issuer can revoke or renew it."""

    code = "external_certificate"
    status = 409
    default_message = gettext_lazy("该证书由其他CA签发，请向其签发机构办理。")


class ExternalCertificateRejected(PkiError):
    code = "external_certificate_rejected"
    default_message = gettext_lazy("证书链验证失败。")


class TrustedRootInvalid(PkiError):
    code = "trusted_root_invalid"
    default_message = gettext_lazy("该证书不能作为受信任的根证书。")


# --- cloud certificate PIN -------------------------------------------------------------------


class PinError(PkiError):
    code = "pin_error"
    default_message = gettext_lazy("PIN 码有误。")


class PinInvalid(PinError):
    """The new PIN does not meet the rules (format, trivial sequences)."""

    code = "pin_invalid"
    default_message = gettext_lazy("PIN 码须为 6 位数字。")


class PinNotSet(PinError):
    code = "pin_not_set"
    status = 409
    default_message = gettext_lazy("请先设置云证书 PIN 码。")


class PinAlreadySet(PinError):
    code = "pin_already_set"
    status = 409
    default_message = gettext_lazy("已设置 PIN 码，请使用修改 PIN 码（需要原 PIN 码）。")


class PinIncorrect(PinError):
    code = "pin_incorrect"
    status = 403
    default_message = gettext_lazy("PIN 码错误。")


class PinLocked(PinError):
    code = "pin_locked"
    status = 423
    default_message = gettext_lazy("PIN 码错误次数过多，证书已锁定，请稍后再试。")


# --- dual certificates: escrowed encryption keys ---------------------------------------------


class EncryptionKeyUnavailable(PkiError):
    """No escrowed encryption key to deliver or recover for this certificate (or not now)."""

    code = "encryption_key_unavailable"
    status = 409
    default_message = gettext_lazy("该证书没有托管的加密密钥。")


class KeyRecoveryInvalid(PkiError):
    """Key recovery needs a reason and seals to a usable SM2 signing certificate of the same
    holder, nothing else."""

    code = "key_recovery_invalid"
    default_message = gettext_lazy("请填写密钥恢复原因（不超过 255 个字）。")
