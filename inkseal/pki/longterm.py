"""What a PAdES B-LT signature made here embeds in its DSS, and nothing more: the chains the
signature needs (the signer's, and the time-stamping authority's) and their revocation data.

- trust anchors: the roots those two chains end at (root-rsa for RSA and ECDSA signatures;
  root-sm2 alone for SM2 ones, whose time stamps come from tsa-sm2);
- CRLs: those of the CAs on the two chains (the issuing CAs and their root), not every CA's;
- OCSP: our responder's answers about the signer's and the TSA's certificates, the CertID hashed
  with SM3 for an SM2 CA (as GM tools do), SHA-256 otherwise. The delegated responder is certified
  by the same issuing CA with id-pkix-ocsp-nocheck, so its chain adds no CA and no CRL.

A signer certificate of another CA (CA互信互认) brings its trusted root; we hold no CRL of theirs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509

from inkseal.pki.algorithms import SM2, get_algorithm, new_hash
from inkseal.pki.authorities import chain_of, tsa_family_for
from inkseal.pki.authority_setup import active_tsa
from inkseal.pki.crl_publishing import published_crl
from inkseal.pki.gm import SM3_OID
from inkseal.pki.models import Certificate, CertificateAuthority
from inkseal.pki.responders import ocsp_responder


@dataclass(frozen=True)
class LongTermData:
    """DER of everything a B-LT signature of one certificate needs, for the validation context."""

    trust_roots: tuple[bytes, ...]
    ca_certificates: tuple[bytes, ...]  # every CA certificate on the chains, roots included
    crls: tuple[bytes, ...]
    ocsp_responses: tuple[bytes, ...]


def long_term_data(certificate: Certificate) -> LongTermData:
    """The chains of a signature by `certificate` time-stamped by the platform TSA of its family,
    with their CRLs and OCSP answers."""
    tsa = active_tsa(tsa_family_for(get_algorithm(certificate.algorithm).family))
    cas: dict[int, CertificateAuthority] = {}
    if certificate.issuer is not None:
        cas.update((ca.pk, ca) for ca in chain_of(certificate.issuer))
    if tsa is not None and tsa.parent is not None:
        cas.update((ca.pk, ca) for ca in chain_of(tsa.parent))
    roots = [bytes(ca.certificate_der) for ca in cas.values() if ca.parent_id is None]
    if certificate.trusted_root is not None:
        roots.insert(0, bytes(certificate.trusted_root.certificate_der))
    crls = (published_crl(ca.ca_id) for ca in cas.values())
    subjects = [(bytes(certificate.der), certificate.issuer)]
    if tsa is not None:
        subjects.append((bytes(tsa.certificate_der), tsa.parent))
    return LongTermData(
        trust_roots=tuple(dict.fromkeys(roots)),
        ca_certificates=tuple(bytes(ca.certificate_der) for ca in cas.values()),
        crls=tuple(crl for crl in crls if crl is not None),
        ocsp_responses=tuple(_ocsp_answers(subjects)),
    )


def _ocsp_answers(subjects: list[tuple[bytes, CertificateAuthority | None]]) -> list[bytes]:
    responder = ocsp_responder()
    answers = []
    for certificate_der, issuer in subjects:
        if issuer is None:
            continue
        answer = responder.respond(ocsp_request(certificate_der, bytes(issuer.certificate_der), issuer.family))
        if asn1_ocsp.OCSPResponse.load(answer)["response_status"].native == "successful":
            answers.append(answer)
    return answers


def ocsp_request(certificate_der: bytes, issuer_der: bytes, family: str) -> bytes:
    """A one-certificate OCSPRequest; its CertID hashed with SM3 under an SM2 CA, else SHA-256."""
    issuer = asn1_x509.Certificate.load(issuer_der)
    name, key = issuer.subject.dump(), bytes(issuer.public_key["public_key"])
    if family == SM2.family:
        algorithm, name_hash, key_hash = SM3_OID, new_hash("sm3", name).digest(), new_hash("sm3", key).digest()
    else:
        algorithm, name_hash, key_hash = "sha256", hashlib.sha256(name).digest(), hashlib.sha256(key).digest()
    cert_id = asn1_ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": algorithm},
            "issuer_name_hash": name_hash,
            "issuer_key_hash": key_hash,
            "serial_number": asn1_x509.Certificate.load(certificate_der).serial_number,
        }
    )
    return bytes(asn1_ocsp.OCSPRequest({"tbs_request": {"request_list": [{"req_cert": cert_id}]}}).dump())
