"""The GM/T identifiers taught to asn1crypto (SM3, SM2 with SM3, GM/T 0010 content types, sm2p256v1).

Apart from inkseal.signing.core.gmcms so that Django setup can register them without importing pyHanko:
asn1crypto parses SM2 certificates, CRLs and time-stamp requests (pki.tsa, pki.ocsp) long before
any PDF signature is validated. See gmcms for why each identifier is needed.
"""

from __future__ import annotations

from asn1crypto import algos, cms, core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509

from inkseal.pki import gm

GM_DATA_OID = "1.2.156.10197.6.1.4.2.1"
GM_SIGNED_DATA_OID = "1.2.156.10197.6.1.4.2.2"
SM2_SIGN_OID = "1.2.156.10197.1.301.1"  # GM/T 0010's sm2-1 "SM2 signature", the digest from context
SM3 = "sm3"
SM2_WITH_SM3 = "sm3_sm2"  # asn1crypto's hash_signature naming, as in sha256_ecdsa
GM_DATA = "gm_data"
GM_SIGNED_DATA = "gm_signed_data"
SM2_CURVE = "sm2p256v1"


def _register(oid_class: type[core.ObjectIdentifier], dotted: str, name: str) -> None:
    """Add `dotted` <-> `name` to an asn1crypto OID map, including the reverse map if it was built."""
    mapping = oid_class._map
    assert mapping is not None
    if mapping.get(dotted, name) != name:
        raise RuntimeError(f"{oid_class.__name__} already maps {dotted} to {mapping[dotted]}")
    mapping[dotted] = name
    if oid_class._reverse_map is not None:
        oid_class._reverse_map[name] = dotted


def register_gm_identifiers() -> None:
    """Idempotent; runs at import."""
    _register(algos.DigestAlgorithmId, gm.SM3_OID, SM3)
    _register(algos.SignedDigestAlgorithmId, gm.SM2_WITH_SM3_OID, SM2_WITH_SM3)
    _register(cms.ContentType, GM_DATA_OID, GM_DATA)
    _register(cms.ContentType, GM_SIGNED_DATA_OID, GM_SIGNED_DATA)
    cms.ContentInfo._oid_specs[GM_SIGNED_DATA] = cms.SignedData
    cms.ContentInfo._oid_specs[GM_DATA] = core.OctetString
    if SM2_CURVE not in asn1_keys.NamedCurve._map.values():
        asn1_keys.NamedCurve.register(SM2_CURVE, gm.SM2_CURVE_OID, gm.SM3_DIGEST_SIZE)
    # the same inputs as asn1crypto's .sha256 of each (DER name; subjectPublicKey bits)
    if not hasattr(asn1_x509.Name, SM3):
        setattr(asn1_x509.Name, SM3, property(lambda name: gm.sm3(name.dump())))
    if not hasattr(asn1_keys.PublicKeyInfo, SM3):
        setattr(asn1_keys.PublicKeyInfo, SM3, property(lambda key: gm.sm3(bytes(key["public_key"]))))
