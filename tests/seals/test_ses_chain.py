"""ses_verify.ChainValidator's CA checks: keyCertSign on every issuer, pathLenConstraint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inkseal.pki.x509 import Certificate
from inkseal.seals.ses_chain import CertificateRejected, ChainValidator

NOW = datetime(2026, 3, 1, tzinfo=UTC)
CA_USAGE = {"key_cert_sign": True, "crl_sign": True}


def _usage(**granted: bool) -> x509.KeyUsage:
    names = (
        "digital_signature content_commitment key_encipherment data_encipherment key_agreement"
        " key_cert_sign crl_sign encipher_only decipher_only"
    ).split()
    return x509.KeyUsage(**{name: granted.get(name, False) for name in names})


class Issuer:
    def __init__(self, name: str, parent: Issuer | None = None, *, path_length: int | None = None, usage=CA_USAGE):  # type: ignore[no-untyped-def]
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        signer = parent or self
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(signer.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(_usage(**usage), critical=True)
        )
        self.certificate = Certificate(
            builder.sign(signer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        )

    def issue(self, name: str) -> Certificate:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True), critical=True)
        )
        return Certificate(builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def _validate(root: Issuer, intermediates: list[Issuer], leaf: Certificate) -> tuple[Certificate, ...]:
    validator = ChainValidator([root.certificate], [i.certificate for i in intermediates])
    return validator.validate(leaf, valid_at=NOW, revoked_by=NOW)


def test_a_chain_within_its_path_length_is_accepted() -> None:
    root = Issuer("root")
    issuing = Issuer("issuing", root, path_length=0)
    path = _validate(root, [issuing], issuing.issue("signer"))
    assert [c.subject.human_friendly for c in path] == [
        "Common Name: signer",
        "Common Name: issuing",
        "Common Name: root",
    ]


def test_a_ca_below_a_path_length_of_zero_is_refused() -> None:
    root = Issuer("root")
    issuing = Issuer("issuing", root, path_length=0)
    rogue = Issuer("rogue", issuing)  # a CA the issuing CA may not certify
    with pytest.raises(CertificateRejected) as refused:
        _validate(root, [issuing, rogue], rogue.issue("signer"))
    assert refused.value.reason == "untrusted" and "issuing" in str(refused.value)


def test_the_root_path_length_counts_too() -> None:
    root = Issuer("root", path_length=0)  # may certify end entities only
    issuing = Issuer("issuing", root)
    with pytest.raises(CertificateRejected):
        _validate(root, [issuing], issuing.issue("signer"))
    assert len(_validate(root, [issuing], root.issue("signer"))) == 2


def test_an_issuer_without_key_cert_sign_issues_nothing() -> None:
    root = Issuer("root")
    crl_only = Issuer("crl-only", root, usage={"crl_sign": True})
    with pytest.raises(CertificateRejected) as refused:
        _validate(root, [crl_only], crl_only.issue("signer"))
    assert refused.value.reason == "untrusted"
