"""SM2 in CMS and in pyHanko's validator, without forking either (国密 PDF signatures).

Importing this module teaches asn1crypto the GM/T identifiers, and offers pyHanko the hooks it
leaves open; nothing here imports an SM2 library (the arithmetic is inkseal.pki.gm's):

- asn1crypto: SM3 (1.2.156.10197.1.401, name "sm3", so pyHanko's `get_pyca_cryptography_hash`
  finds `cryptography`'s `hashes.SM3` for byte-range digests and time-stamp imprints), SM2 with
  SM3 (1.2.156.10197.1.501, "sm3_sm2"), the sm2p256v1 curve, and the GM/T 0010 content types
  data (1.2.156.10197.6.1.4.2.1, "gm_data") and signedData (1.2.156.10197.6.1.4.2.2,
  "gm_signed_data", parsed as an ordinary SignedData). `Name.sm3` and `PublicKeyInfo.sm3` beside
  asn1crypto's sha1/sha256: pyhanko-certvalidator matches an OCSP CertID by
  `getattr(issuer_name, hash_name)`, and GM tools hash CertIDs with SM3.
- pyhanko-certvalidator: `SIGNATURE_VALIDATOR`, a `SignatureValidator` that checks SM2 signatures
  (certificates, CRLs, OCSP responses, CMS signer infos, time-stamp tokens) through
  inkseal.pki.algorithms and hands everything else to pyHanko's default validator; our contexts
  pass it as `ValidationContext(signature_validator=SIGNATURE_VALIDATOR)`. The default validator
  class learns SM2 too (`_teach_default_validator`), for the contexts pyhanko-certvalidator
  makes itself; without this module, `cryptography` refuses the curve (UnsupportedAlgorithm).
- pyHanko's PDF layer: `adopt_gm_content` for embedded signatures whose encapsulated content type
  is GM/T 0010 data (pyHanko only knows the PKCS #7 one), and `collect_signatures`, which also
  lists the signatures labelled with our GM handler names (pyHanko skips unknown SubFilters).

PDF labelling: an SM2 signature's dictionary says /Filter /DJ.GMPkiLite, /SubFilter
/GM.sm2cms.detached (GM_PDF_FILTER, GM_PDF_SUBFILTER), the names Chinese signing products write
for GM/T 0010 SignedData over the byte range, and not /ETSI.CAdES.detached: /Contents is not RFC
5652 CMS, so PAdES validators that cannot read it must say "unsupported", not "corrupt". Why
these names: docs/sm2-pdf-signatures.md. Earlier documents, labelled PAdES, still verify.

Content types: GM/T 0010-2012 gives SM2 signed messages their own identifiers, and the
implementations that follow it write them: GmSSL 3 (src/cms.c: `oid_cms_signed_data` and
`oid_cms_data` under 1.2.156.10197.6.1.4.2) and Tongsuo's GM/T 0010 PKCS #7 mode
(`NID_pkcs7_sm2_signed` with `NID_pkcs7_sm2_data`). Both put GM data in the inner content type
and in the content-type signed attribute, so we do too. BouncyCastle's CMS generator keeps the
PKCS #7 identifiers whatever the algorithm; its output (PKCS #7 SignedData with SM2/SM3 algorithm
identifiers) verifies here as well, since the validator goes by the algorithms, not the wrapper.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from asn1crypto import algos
from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator.errors import AlgorithmNotSupported
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
    SignatureValidator,
)

from inkseal.pki import gm
from inkseal.pki.algorithms import SM2, PublicKey, load_public_key
from inkseal.pki.errors import SignatureInvalid, UnsupportedAlgorithm
from inkseal.signing.core.gm_identifiers import (  # noqa: F401 - re-exported, the names gmcms always had
    GM_DATA,
    GM_DATA_OID,
    GM_SIGNED_DATA,
    GM_SIGNED_DATA_OID,
    SM2_CURVE,
    SM2_SIGN_OID,
    SM2_WITH_SM3,
    SM3,
    register_gm_identifiers,
)

# the signature dictionary of an SM2 PDF signature (docs/sm2-pdf-signatures.md)
GM_PDF_FILTER = "/DJ.GMPkiLite"
GM_PDF_SUBFILTER = "/GM.sm2cms.detached"
GM_PDF_SUBFILTERS = frozenset({GM_PDF_SUBFILTER})  # read as well as written
SM2_PDF_FORMAT = "GM/T 0010 (SM2) detached"
CADES_DETACHED = "/ETSI.CAdES.detached"

if TYPE_CHECKING:  # pyHanko's PDF layer is imported where it is used, not with the validator hooks
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature


register_gm_identifiers()


# --- verification hooks ----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _public_key(spki_der: bytes) -> PublicKey:
    """Keys seen again and again (CA and responder keys): parsed and Z_A-hashed once."""
    return load_public_key(spki_der)


def is_sm2_key(public_key_info: asn1_keys.PublicKeyInfo) -> bool:
    return SM2.matches(public_key_info)


def is_sm2_signature(signature_algorithm: algos.SignedDigestAlgorithm) -> bool:
    return signature_algorithm["algorithm"].dotted in (gm.SM2_WITH_SM3_OID, SM2_SIGN_OID)


def involves_sm2(public_key_info: asn1_keys.PublicKeyInfo, signature_algorithm: algos.SignedDigestAlgorithm) -> bool:
    return is_sm2_key(public_key_info) or is_sm2_signature(signature_algorithm)


def verify_sm2(
    signature: bytes,
    signed_data: bytes,
    public_key_info: asn1_keys.PublicKeyInfo,
    signature_algorithm: algos.SignedDigestAlgorithm,
    context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
) -> None:
    """Check an SM2 signature the way pyhanko-certvalidator's validators report.

    Raises `cryptography`'s InvalidSignature when it does not verify, and its subclass
    AlgorithmNotSupported for an SM2 key with a foreign algorithm (or the reverse), or for a bare
    SM2 signature over a precomputed digest (no signed attributes): Z_A cannot be prepended to a
    digest after the fact.
    """
    if not (is_sm2_key(public_key_info) and is_sm2_signature(signature_algorithm)):
        raise AlgorithmNotSupported("SM2 keys make SM2 signatures only, and only SM2 keys verify them")
    oid = signature_algorithm["algorithm"].dotted
    if oid == SM2_SIGN_OID and context.contextual_md_algorithm != SM3:
        raise AlgorithmNotSupported("an SM2 signature (sm2-1) needs SM3 as its digest algorithm")
    if context.prehashed:
        raise AlgorithmNotSupported("SM2 signs SM3(Z_A || message): a bare digest cannot be verified")
    try:
        _public_key(public_key_info.dump()).verify(
            bytes(signature), bytes(signed_data), signature_oid=gm.SM2_WITH_SM3_OID
        )
    except UnsupportedAlgorithm as exc:
        raise AlgorithmNotSupported(str(exc)) from exc
    except SignatureInvalid as exc:  # SignatureMalformed included
        raise InvalidSignature(str(exc)) from exc


class GmSignatureValidator(SignatureValidator):
    """SM2 signatures through inkseal.pki (`verify_sm2`); every other algorithm through `fallback`."""

    def __init__(self, fallback: SignatureValidator | None = None):
        self.fallback = fallback or DefaultSignatureValidator()

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: asn1_keys.PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        if involves_sm2(public_key_info, signature_algorithm):
            verify_sm2(signature, signed_data, public_key_info, signature_algorithm, context)
        else:
            self.fallback.validate_signature(signature, signed_data, public_key_info, signature_algorithm, context)


SIGNATURE_VALIDATOR = GmSignatureValidator()


def _teach_default_validator() -> None:
    """Make pyHanko's DefaultSignatureValidator verify SM2 too (idempotent; runs at import).

    Passing SIGNATURE_VALIDATOR to our contexts is not enough: pyhanko-certvalidator checks a
    delegated OCSP responder's certificate in a ValidationContext of its own making
    (revinfo/validate_ocsp.py, `_validate_delegated_ocsp_provenance`), which gets the default
    validator. So the default class learns SM2 as well, leaving every other algorithm to it.
    """
    if getattr(DefaultSignatureValidator, "_inkseal_sm2", False):
        return
    original = DefaultSignatureValidator.validate_signature

    def validate_signature(
        self: DefaultSignatureValidator,
        signature: bytes,
        signed_data: bytes,
        public_key_info: asn1_keys.PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        if involves_sm2(public_key_info, signature_algorithm):
            verify_sm2(signature, signed_data, public_key_info, signature_algorithm, context)
        else:
            original(self, signature, signed_data, public_key_info, signature_algorithm, context)

    setattr(DefaultSignatureValidator, "validate_signature", validate_signature)  # noqa: B010
    setattr(DefaultSignatureValidator, "_inkseal_sm2", True)  # noqa: B010


_teach_default_validator()


def adopt_gm_content(signature: EmbeddedPdfSignature) -> EmbeddedPdfSignature:
    """Let pyHanko digest the byte range of a signature whose content type is GM/T 0010 data.

    pyHanko picks the byte-range digest algorithm only for PKCS #7 data and TSTInfo content; GM
    data is the same detached-content case, so it gets the signer's digest algorithm as well.
    """
    content_type = signature.signed_data["encap_content_info"]["content_type"].native
    if content_type == GM_DATA and not hasattr(signature, "external_md_algorithm"):
        signature.external_md_algorithm = signature.md_algorithm
    return signature


def collect_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    """Every signature pyHanko lists, plus those under our GM SubFilter, in signing order.

    A GM-labelled signature is the detached CMS case pyHanko validates under
    /ETSI.CAdES.detached, so its validator sees a copy of the dictionary with that SubFilter
    (the file is not touched; `pdf_subfilter` reads the original).
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    listed = []
    for name, _, field in enumerate_sig_fields(reader, filled_status=True):
        subfilter = pdf_subfilter(field)
        if subfilter not in _readable_subfilters():
            continue  # as pyHanko does: not a signature format anyone here can read
        signature = EmbeddedPdfSignature(reader, field, name)
        if subfilter in GM_PDF_SUBFILTERS:
            presented = generic.DictionaryObject(signature.sig_object)
            presented[pdf_name("/SubFilter")] = pdf_name(CADES_DETACHED)
            signature.sig_object = presented
        listed.append(signature)
    listed.sort(key=lambda signature: signature.signed_revision)
    return [adopt_gm_content(signature) for signature in listed]


@functools.cache
def _readable_subfilters() -> frozenset[str]:
    from pyhanko.sign.fields import SigSeedSubFilter

    return frozenset(str(value.value) for value in SigSeedSubFilter) | GM_PDF_SUBFILTERS


def pdf_subfilter(sig_field: generic.PdfObject) -> str | None:
    """The /SubFilter the signature field's value says, as written in the file."""
    try:
        value = sig_field.get_object()["/V"]["/SubFilter"]
    except (KeyError, TypeError):
        return None
    return str(value)


def is_sm2_pdf_signature(signature: EmbeddedPdfSignature) -> bool:
    return is_sm2_signature(signature.signer_info["signature_algorithm"])
