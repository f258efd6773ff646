"""The UKEY client tool (tools/ukey_client.py), run as users run it: a separate process talking
HTTP to a live server. ECDSA and RSA keys are made on a SoftHSM2 token; SM2, which standard
PKCS#11 (and so SoftHSM2) lacks, in the tool's software token directory, where the dual
certificate's encryption key arrives as an SM2EnvelopedKey and is opened with the signing key."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.orders import services
from inkseal.orders.models import Application, Medium
from inkseal.pki import gm
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.keystore_config import escrow_keystore
from inkseal.pki.models import Certificate
from tests.orders.conftest import Holder, latest, order
from tests.pki.conftest import SOFTHSM_LABEL, SOFTHSM_PIN, softhsm_token  # noqa: F401 - shared fixture
from tests.pki.test_dual import seal_image  # noqa: F401 - shared fixture

pytestmark = pytest.mark.django_db(transaction=True)

TOOL = Path(__file__).resolve().parents[2] / "tools" / "ukey_client.py"
REVIEWER = Actor("operator", "1", "reviewer")
SIGNATURE_OIDS = {"ecdsa-p256": "1.2.840.10045.4.3.2", "rsa-2048": "1.2.840.113549.1.1.11"}


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=120, check=False)


def ukey_application(user: Holder, product: Any, algorithm: str) -> tuple[Application, str]:
    """A free UKEY product ordered (待申请) and the 客户端令牌 the application page shows once."""
    assert order(user, product(medium=Medium.UKEY, algorithm=algorithm)).status_code == 302
    application = latest(user)
    user.client.post(f"/applications/{application.number}/client-token")
    token = user.client.get(f"/applications/{application.number}/").context["client_token"]
    assert token.startswith(f"{application.number}.")
    return application, token


TOKEN_DATA = b"signed on the token"
# Run in a process of its own: this process's SoftHSM2 instance does not see what others write.
READ_TOKEN = """
import hashlib, json, sys
import pkcs11
from asn1crypto import core, keys
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ec_public_key
from pkcs11.util.rsa import encode_rsa_public_key

module, token_label, pin, label, data = sys.argv[1:6]
with pkcs11.lib(module).get_token(token_label=token_label).open(user_pin=pin) as session:
    certificates = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}))
    private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
    public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label)
    if private.key_type == KeyType.EC:
        spki = encode_ec_public_key(public)
        raw = private.sign(hashlib.sha256(data.encode()).digest(), mechanism=Mechanism.ECDSA)
        half = len(raw) // 2
        r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        from asn1crypto.algos import DSASignature
        signature = DSASignature({"r": r, "s": s}).dump()
    else:
        rsa = keys.RSAPublicKey.load(encode_rsa_public_key(public))
        algorithm = {"algorithm": "rsa", "parameters": core.Null()}
        spki = keys.PublicKeyInfo({"algorithm": algorithm, "public_key": rsa}).dump()
        signature = private.sign(data.encode(), mechanism=Mechanism.SHA256_RSA_PKCS)
    print(json.dumps({
        "certificates": [c[Attribute.VALUE].hex() for c in certificates],
        "certificate_id": certificates[0][Attribute.ID].hex() if certificates else "",
        "private_id": private[Attribute.ID].hex(),
        "public_id": public[Attribute.ID].hex(),
        "sensitive": private[Attribute.SENSITIVE],
        "extractable": private[Attribute.EXTRACTABLE],
        "spki": spki.hex(),
        "signature": signature.hex(),
    }))
"""


def read_token(module: str, label: str) -> dict[str, Any]:
    args = [module, SOFTHSM_LABEL, SOFTHSM_PIN, label, TOKEN_DATA.decode()]
    result = subprocess.run(
        [sys.executable, "-c", READ_TOKEN, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def approve(application: Application) -> Certificate:
    application.refresh_from_db()
    assert application.state == "reviewing", application.state
    approved = services.do_approve(application, acting=Acting(REVIEWER))
    assert approved.state == "to_ship" and approved.certificate is not None
    return approved.certificate


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "rsa-2048"])
def test_the_tool_makes_the_key_on_the_token_and_installs_the_certificate(
    algorithm: str,
    live_server: Any,
    softhsm_token: str,  # noqa: F811 - the fixture imported above
    holder: Any,
    product: Any,
    ca_hierarchy: Any,
) -> None:
    user = holder()
    application, token = ukey_application(user, product, algorithm)
    token_args = ["--url", live_server.url, "--token", token, "--module", softhsm_token]
    token_args += ["--token-label", SOFTHSM_LABEL, "--pin", SOFTHSM_PIN]

    early = run_tool("install", *token_args)
    assert early.returncode != 0 and "no certificate yet" in early.stderr

    submitted = run_tool("submit", *token_args, "--serial", "SOFTHSM-0001")
    assert submitted.returncode == 0, submitted.stderr
    assert "is reviewing" in submitted.stdout
    certificate = approve(application)
    assert certificate.ukey_serial == "SOFTHSM-0001" and certificate.algorithm == algorithm

    installed = run_tool("install", *token_args)
    assert installed.returncode == 0, installed.stderr
    assert f"installed certificate {certificate.serial}" in installed.stdout
    again = run_tool("install", *token_args)
    assert again.returncode == 0 and "already on the token" in again.stdout

    # On the token, read by another process (a fresh PKCS#11 session, as any other program would):
    # the certificate object next to the key it certifies, which was made there and stays there.
    seen = read_token(softhsm_token, f"inkseal-{application.number}")
    assert seen["certificates"] == [bytes(certificate.der).hex()]
    assert seen["certificate_id"] == seen["private_id"] == seen["public_id"]
    assert seen["sensitive"] and not seen["extractable"]
    parsed = parsed_certificate(bytes(certificate.der))
    assert bytes.fromhex(seen["spki"]) == parsed.public_key.spki_der
    parsed.public_key.verify(bytes.fromhex(seen["signature"]), TOKEN_DATA, signature_oid=SIGNATURE_OIDS[algorithm])


def test_the_tool_refuses_sm2_on_a_pkcs11_token(
    live_server: Any,
    softhsm_token: str,  # noqa: F811 - the fixture imported above
    holder: Any,
    product: Any,
    ca_hierarchy: Any,
) -> None:
    application, token = ukey_application(holder(), product, "sm2")
    result = run_tool(
        "submit", "--url", live_server.url, "--token", token, "--module", softhsm_token,
        "--token-label", SOFTHSM_LABEL, "--pin", SOFTHSM_PIN, "--serial", "SM2-0001",
    )  # fmt: skip
    assert result.returncode != 0 and "SoftHSM2 has no SM2" in result.stderr
    application.refresh_from_db()
    assert application.state == "draft"


def test_the_tool_installs_an_sm2_dual_certificate_and_its_enveloped_key(
    live_server: Any,
    holder: Any,
    product: Any,
    ca_hierarchy: Any,
    seal_image: None,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    user = holder()
    application, token = ukey_application(user, product, "sm2")
    key_dir = tmp_path / "ukey"
    args = ["--url", live_server.url, "--token", token, "--key-dir", str(key_dir)]

    submitted = run_tool("submit", *args, "--serial", "SM2-UKEY-0001")
    assert submitted.returncode == 0, submitted.stderr
    signing = approve(application)
    encryption = signing.pair()
    assert encryption is not None and encryption.ukey_serial == "SM2-UKEY-0001"

    installed = run_tool("install", *args)
    assert installed.returncode == 0, installed.stderr
    assert f"installed encryption certificate {encryption.serial}" in installed.stdout

    prefix = key_dir / f"inkseal-{application.number}"
    files = {suffix: Path(f"{prefix}-{suffix}") for suffix in ("sign.key", "sign.crt", "enc.crt", "enc.env", "enc.key")}
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    for suffix in ("sign.key", "enc.key", "enc.env"):
        assert stat.S_IMODE(files[suffix].stat().st_mode) == 0o600
    assert pem.unarmor(files["sign.crt"].read_bytes())[2] == bytes(signing.der)
    assert pem.unarmor(files["enc.crt"].read_bytes())[2] == bytes(encryption.der)
    # The key the tool opened from the envelope is the escrowed key the encryption certificate names.
    signing_key = gm.Sm2PrivateKey.from_pkcs8(pem.unarmor(files["sign.key"].read_bytes())[2])
    encryption_key = gm.Sm2PrivateKey.from_pkcs8(pem.unarmor(files["enc.key"].read_bytes())[2])
    assert signing_key.public_key.spki_der == parsed_certificate(bytes(signing.der)).public_key.spki_der
    assert encryption_key.public_key.spki_der == parsed_certificate(bytes(encryption.der)).public_key.spki_der
    escrowed = escrow_keystore().private_key(encryption.key_id)
    assert escrowed.to_pkcs8() == encryption_key.to_pkcs8()
    assert AuditEntry.objects.filter(event="certificate.key_deliver", target=f"certificate:{encryption.pk}").exists()
