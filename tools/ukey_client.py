#!/usr/bin/env python3
"""Inkseal UKEY client tool (证书使用工具): key pair and PKCS#10 on a PKCS#11 token, submit, install.

    python ukey_client.py submit  --url https://inkseal.example --token <客户端令牌> \\
        --module /usr/lib/softhsm/libsofthsm2.so --token-label UKEY --pin 123456 --serial <UKEY序列号>
    python ukey_client.py install --url https://inkseal.example --token <客户端令牌> \\
        --module /usr/lib/softhsm/libsofthsm2.so --token-label UKEY --pin 123456

`submit` makes an ECDSA P-256 key pair inside the token (the private key is never extractable),
builds and signs the certificate request on the token and submits it to the application the
token belongs to. After the operator's approval, `install` fetches the certificate and writes it
to the token next to its key. Needs python-pkcs11 and asn1crypto (pip install python-pkcs11 asn1crypto).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.request
import uuid
from typing import Any

import pkcs11
from asn1crypto import algos, keys, pem, x509
from asn1crypto import csr as asn1_csr
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters


def _session(args: argparse.Namespace) -> Any:
    lib = pkcs11.lib(args.module)
    token = lib.get_token(token_label=args.token_label)
    return token.open(user_pin=args.pin, rw=True)


def _number(args: argparse.Namespace) -> str:
    return str(args.token).split(".", 1)[0]


def make_request(session: Any, key_label: str) -> bytes:
    """A fresh P-256 key pair on the token and a PKCS#10 request signed by it (DER)."""
    key_id = uuid.uuid4().bytes[:8]
    parameters = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
    )
    public, private = parameters.generate_keypair(store=True, label=key_label, id=key_id)
    spki = keys.PublicKeyInfo.load(encode_ec_public_key(public))
    info = asn1_csr.CertificationRequestInfo(
        {
            "version": "v1",
            # The platform puts our verified data in the certificate; the request's subject is a hint.
            "subject": x509.Name.build({"common_name": key_label}),
            "subject_pk_info": spki,
            "attributes": [],
        }
    )
    # Hash here, sign the digest on the token: plain CKM_ECDSA is what every token offers.
    raw = private.sign(hashlib.sha256(info.dump()).digest(), mechanism=Mechanism.ECDSA)
    half = len(raw) // 2
    signature = algos.DSASignature(
        {"r": int.from_bytes(raw[:half], "big"), "s": int.from_bytes(raw[half:], "big")}
    ).dump()
    request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    return bytes(request.dump())


def _multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, data in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.der"\r\n'
        parts.append(head.encode() + b"Content-Type: application/pkcs10\r\n\r\n" + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _call(args: argparse.Namespace, path: str, body: bytes | None = None, content_type: str = "") -> dict[str, Any]:
    if not args.url.startswith(("https://", "http://")):
        raise SystemExit("--url must be an http(s) URL")
    url = args.url.rstrip("/") + path
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")  # noqa: S310 - scheme checked
    request.add_header("Authorization", f"Bearer {args.token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked
            result: dict[str, Any] = json.loads(response.read())
            return result
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}")
        raise SystemExit(f"error {exc.code}: {detail.get('message') or detail.get('detail') or exc.reason}")


def submit(args: argparse.Namespace) -> None:
    with _session(args) as session:
        der = make_request(session, f"inkseal-{_number(args)}")
    if args.csr_out:
        with open(args.csr_out, "wb") as handle:
            handle.write(pem.armor("CERTIFICATE REQUEST", der))
    body, content_type = _multipart({"ukey_serial": args.serial}, {"csr": der})
    result = _call(args, f"/api/v1/applications/{_number(args)}/csr", body, content_type)
    print(f"submitted: application {result['number']} is {result['state']}")


def install(args: argparse.Namespace) -> None:
    result = _call(args, f"/api/v1/applications/{_number(args)}")
    if not result.get("certificate_pem"):
        raise SystemExit(f"no certificate yet: application {result['number']} is {result['state']}")
    _type, _headers, der = pem.unarmor(result["certificate_pem"].encode())
    certificate = x509.Certificate.load(der)
    label = f"inkseal-{_number(args)}"
    with _session(args) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.ID: key[Attribute.ID],
                Attribute.SUBJECT: certificate.subject.dump(),
                Attribute.ISSUER: certificate.issuer.dump(),
                Attribute.SERIAL_NUMBER: certificate["tbs_certificate"]["serial_number"].dump(),
                Attribute.VALUE: der,
            }
        )
    print(f"installed certificate {certificate.serial_number:x} on the token as {label}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Inkseal UKEY client tool")
    parser.add_argument("command", choices=["submit", "install"])
    parser.add_argument("--url", required=True, help="Inkseal base URL")
    parser.add_argument("--token", required=True, help="客户端令牌 from the application page")
    parser.add_argument("--module", default="/usr/lib/softhsm/libsofthsm2.so", help="PKCS#11 module")
    parser.add_argument("--token-label", required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--serial", help="UKEY serial number (submit)")
    parser.add_argument("--csr-out", help="also write the request here (PEM)")
    args = parser.parse_args(argv)
    if args.command == "submit":
        if not args.serial:
            parser.error("submit needs --serial")
        submit(args)
    else:
        install(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
