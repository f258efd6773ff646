#!/usr/bin/env python3
"""Inkseal UKEY client tool (证书使用工具): key pair and PKCS#10 on the token, submit, install.

    python ukey_client.py submit  --url https://inkseal.example --token <客户端令牌> \\
        --module /usr/lib/softhsm/libsofthsm2.so --token-label UKEY --pin 123456 --serial <UKEY序列号>
    python ukey_client.py install --url https://inkseal.example --token <客户端令牌> \\
        --module /usr/lib/softhsm/libsofthsm2.so --token-label UKEY --pin 123456

`submit` makes a key pair of the product's algorithm inside a PKCS#11 token (ECDSA P-256 or
RSA-2048; the private key is sensitive and never extractable), builds and signs the certificate
request on the token and submits it to the application the client token belongs to. After the
operator's approval, `install` fetches the certificate, checks that it certifies the token's key
and writes it to the token next to that key. Needs python-pkcs11 and asn1crypto.

SM2 (国密) products: standard PKCS#11, and so SoftHSM2, has no SM2 keys; real UKEYs offer SM2
through the GM/T 0016 SKF interface or vendor PKCS#11 extensions that this tool does not speak.
For SM2 use a software token directory instead of a PKCS#11 token (needs gmssl-pyx and
cryptography as well):

    python ukey_client.py submit  --url ... --token ... --key-dir ./ukey --serial <UKEY序列号>
    python ukey_client.py install --url ... --token ... --key-dir ./ukey

The directory (mode 0700) then holds, per application number N, inkseal-N-sign.key (PKCS#8, 0600),
inkseal-N-sign.crt and, for a dual certificate (双证书), inkseal-N-enc.crt, the SM2EnvelopedKey
as delivered (inkseal-N-enc.env, GM/T 0009) and the encryption key opened from it with the signing
key (inkseal-N-enc.key, 0600), after checking that it is the key the encryption certificate names.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from asn1crypto import algos, core, keys, pem, x509
from asn1crypto import csr as asn1_csr

SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
SM4_ECB_OID = "1.2.156.10197.1.104.1"
PKCS11_ALGORITHMS = ("ecdsa-p256", "rsa-2048")


# --- talking to Inkseal ----------------------------------------------------------------------


def _number(args: argparse.Namespace) -> str:
    return str(args.token).split(".", 1)[0]


def _label(args: argparse.Namespace) -> str:
    return f"inkseal-{_number(args)}"


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


def _call(
    args: argparse.Namespace, path: str, body: bytes | None = None, content_type: str = "", method: str = ""
) -> dict[str, Any]:
    if not args.url.startswith(("https://", "http://")):
        raise SystemExit("--url must be an http(s) URL")
    url = args.url.rstrip("/") + path
    method = method or ("POST" if body is not None else "GET")
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked
    request.add_header("Authorization", f"Bearer {args.token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked
            result: dict[str, Any] = json.loads(response.read())
            return result
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read() or b"{}")
        except ValueError:
            detail = {}
        raise SystemExit(f"error {exc.code}: {detail.get('message') or detail.get('detail') or exc.reason}")


def _application(args: argparse.Namespace) -> dict[str, Any]:
    return _call(args, f"/api/v1/applications/{_number(args)}")


def _algorithm(args: argparse.Namespace) -> str:
    """--algorithm, else the product's (the application says which)."""
    return str(args.algorithm or _application(args)["algorithm"])


def _certificate(text: str) -> tuple[bytes, x509.Certificate]:
    _type, _headers, der = pem.unarmor(text.encode())
    return der, x509.Certificate.load(der)


def _request(info: asn1_csr.CertificationRequestInfo, signature_algorithm: str, signature: bytes) -> bytes:
    request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    return bytes(request.dump())


def _request_info(label: str, spki: keys.PublicKeyInfo) -> asn1_csr.CertificationRequestInfo:
    # The platform puts our verified data in the certificate; the request's subject is a hint.
    return asn1_csr.CertificationRequestInfo(
        {"version": "v1", "subject": x509.Name.build({"common_name": label}), "subject_pk_info": spki, "attributes": []}
    )


def _submit_request(args: argparse.Namespace, der: bytes) -> None:
    if args.csr_out:
        Path(args.csr_out).write_bytes(pem.armor("CERTIFICATE REQUEST", der))
    body, content_type = _multipart({"ukey_serial": args.serial}, {"csr": der})
    result = _call(args, f"/api/v1/applications/{_number(args)}/csr", body, content_type)
    print(f"submitted: application {result['number']} is {result['state']}")


def _issued(args: argparse.Namespace) -> dict[str, Any]:
    result = _application(args)
    if not result.get("certificate_pem"):
        raise SystemExit(f"no certificate yet: application {result['number']} is {result['state']}")
    return result


# --- PKCS#11 tokens (ECDSA P-256, RSA-2048) --------------------------------------------------


def _session(args: argparse.Namespace) -> Any:
    import pkcs11

    lib = pkcs11.lib(args.module)
    token = lib.get_token(token_label=args.token_label)
    return token.open(user_pin=args.pin, rw=True)


def _private_template() -> dict[Any, Any]:
    from pkcs11 import Attribute

    return {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True}


def _token_spki(public: Any) -> keys.PublicKeyInfo:
    from pkcs11 import KeyType
    from pkcs11.util.ec import encode_ec_public_key
    from pkcs11.util.rsa import encode_rsa_public_key

    if public.key_type == KeyType.EC:
        return keys.PublicKeyInfo.load(encode_ec_public_key(public))
    rsa_key = keys.RSAPublicKey.load(encode_rsa_public_key(public))
    return keys.PublicKeyInfo({"algorithm": {"algorithm": "rsa", "parameters": core.Null()}, "public_key": rsa_key})


def make_request(session: Any, key_label: str, algorithm: str = "ecdsa-p256") -> bytes:
    """A fresh key pair on the token and a PKCS#10 request signed on the token (DER)."""
    from pkcs11 import Attribute, KeyType, Mechanism
    from pkcs11.util.ec import encode_named_curve_parameters

    key_id = uuid.uuid4().bytes[:8]
    if algorithm == "rsa-2048":
        public, private = session.generate_keypair(
            KeyType.RSA, 2048, store=True, label=key_label, id=key_id, private_template=_private_template()
        )
        info = _request_info(key_label, _token_spki(public))
        signature = private.sign(info.dump(), mechanism=Mechanism.SHA256_RSA_PKCS)
        return _request(info, "sha256_rsa", signature)
    parameters = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
    )
    public, private = parameters.generate_keypair(
        store=True, label=key_label, id=key_id, private_template=_private_template()
    )
    info = _request_info(key_label, _token_spki(public))
    # Hash here, sign the digest on the token: plain CKM_ECDSA is what every token offers.
    raw = private.sign(hashlib.sha256(info.dump()).digest(), mechanism=Mechanism.ECDSA)
    half = len(raw) // 2
    signature = algos.DSASignature({"r": int.from_bytes(raw[:half], "big"), "s": int.from_bytes(raw[half:], "big")})
    return _request(info, "sha256_ecdsa", signature.dump())


def _submit_pkcs11(args: argparse.Namespace, algorithm: str) -> None:
    if algorithm not in PKCS11_ALGORITHMS:
        raise SystemExit(
            f"{algorithm} keys cannot be made through standard PKCS#11 (SoftHSM2 has no SM2); "
            "for SM2 use --key-dir (a software token directory) or the token vendor's SKF tool"
        )
    with _session(args) as session:
        der = make_request(session, _label(args), algorithm)
    _submit_request(args, der)


def _install_pkcs11(args: argparse.Namespace) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    result = _issued(args)
    if result.get("encryption_certificate_pem"):
        raise SystemExit("this is an SM2 dual certificate: install it with --key-dir")
    der, certificate = _certificate(result["certificate_pem"])
    label = _label(args)
    with _session(args) as session:
        public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label)
        if _token_spki(public)["public_key"].native != certificate.public_key["public_key"].native:
            raise SystemExit(f"the issued certificate does not certify the key {label} on this token")
        existing = [o[Attribute.VALUE] for o in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})]
        if der in existing:
            print(f"certificate {certificate.serial_number:x} is already on the token")
            return
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.ID: public[Attribute.ID],
                Attribute.SUBJECT: certificate.subject.dump(),
                Attribute.ISSUER: certificate.issuer.dump(),
                Attribute.SERIAL_NUMBER: certificate["tbs_certificate"]["serial_number"].dump(),
                Attribute.VALUE: der,
            }
        )
    print(f"installed certificate {certificate.serial_number:x} on the token as {label}")


# --- SM2 software token directory ------------------------------------------------------------


class _AlgorithmIdentifier(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _Sm2Cipher(core.Sequence):
    _fields = [("x", core.Integer), ("y", core.Integer), ("hash", core.OctetString), ("ciphertext", core.OctetString)]


class _Sm2EnvelopedKey(core.Sequence):
    """GM/T 0009 7.4 / GB/T 35276: SM4-ECB key SM2-encrypted to the signing key, then the key pair."""

    _fields = [
        ("sym_alg_id", _AlgorithmIdentifier),
        ("sym_encrypted_key", _Sm2Cipher),
        ("sm2_public_key", core.OctetBitString),
        ("sm2_encrypted_private_key", core.OctetBitString),
    ]


def _gmssl() -> Any:
    try:
        import gmssl_pyx
    except ImportError:
        raise SystemExit("SM2 needs gmssl-pyx (pip install gmssl-pyx cryptography)")
    return gmssl_pyx


def _sm2_spki(point: bytes) -> keys.PublicKeyInfo:
    return keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters("named", SM2_CURVE_OID)},
            "public_key": b"\x04" + point,
        }
    )


class _Pkcs8(core.Sequence):
    """PKCS#8 PrivateKeyInfo, spelled out: asn1crypto's own wants a key size for every named curve."""

    _fields = [("version", core.Integer), ("algorithm", _AlgorithmIdentifier), ("private_key", core.OctetString)]


def _sm2_pkcs8(scalar: bytes, point: bytes) -> bytes:
    """PEM PKCS#8 of an SM2 key with its public point (as OpenSSL writes and reads it)."""
    ec_key = keys.ECPrivateKey(
        {"version": "ecPrivkeyVer1", "private_key": int.from_bytes(scalar, "big"), "public_key": b"\x04" + point}
    )
    ec_key["private_key"].set_encoded_width(32)
    algorithm = {"algorithm": "1.2.840.10045.2.1", "parameters": core.ObjectIdentifier(SM2_CURVE_OID)}
    info = _Pkcs8({"version": 0, "algorithm": algorithm, "private_key": ec_key.dump()})
    return pem.armor("PRIVATE KEY", info.dump())


def _read_sm2_key(path: Path) -> tuple[bytes, bytes]:
    _type, _headers, der = pem.unarmor(path.read_bytes())
    info = _Pkcs8.load(der)
    if info["algorithm"]["parameters"].dump() != core.ObjectIdentifier(SM2_CURVE_OID).dump():
        raise SystemExit(f"{path} is not an SM2 key")
    ec_key = keys.ECPrivateKey.load(info["private_key"].native)
    return int(ec_key["private_key"].native).to_bytes(32, "big"), bytes(ec_key["public_key"].native)[1:]


def _sm2_point(certificate: x509.Certificate) -> bytes:
    info = certificate.public_key
    if info["algorithm"]["parameters"].chosen.dotted != SM2_CURVE_OID:
        raise SystemExit("the certificate does not certify an SM2 key")
    return bytes(info["public_key"].native)[1:]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_dir(args: argparse.Namespace) -> Path:
    directory = Path(args.key_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _submit_sm2(args: argparse.Namespace, algorithm: str) -> None:
    if algorithm != "sm2":
        raise SystemExit(f"--key-dir holds SM2 keys; {algorithm} keys belong on a PKCS#11 token")
    gmssl = _gmssl()
    key_path = _key_dir(args) / f"{_label(args)}-sign.key"
    if key_path.exists():
        raise SystemExit(f"{key_path} exists: this application's key was made already")
    point, scalar = (bytes(v) for v in gmssl.sm2_key_generate())
    _write_private(key_path, _sm2_pkcs8(scalar, point[-64:]))
    info = _request_info(_label(args), _sm2_spki(point[-64:]))
    signature = bytes(gmssl.sm2_sign(scalar, point[-64:], info.dump()))  # SM3(Z_A || M), ID 1234567812345678
    _submit_request(args, _request(info, SM2_WITH_SM3_OID, signature))


def open_enveloped_key(envelope: bytes, scalar: bytes, expected_point: bytes) -> bytes:
    """The private scalar inside an SM2EnvelopedKey, opened with the signing key `scalar`; refuses
    unless it is the key pair of `expected_point` (the encryption certificate's key)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    gmssl = _gmssl()
    parsed = _Sm2EnvelopedKey.load(envelope, strict=True)
    if parsed["sym_alg_id"]["algorithm"].dotted != SM4_ECB_OID:
        raise SystemExit("the envelope's cipher is not SM4-ECB")
    sym_key = bytes(gmssl.sm2_decrypt(scalar, parsed["sym_encrypted_key"].dump()))
    decryptor = Cipher(algorithms.SM4(sym_key), modes.ECB()).decryptor()  # noqa: S305 - GM/T 0009 says ECB
    secret = decryptor.update(parsed["sm2_encrypted_private_key"].native) + decryptor.finalize()
    if parsed["sm2_public_key"].native[1:] != expected_point:
        raise SystemExit("the envelope does not hold the encryption certificate's key")
    probe = secrets.token_bytes(32)
    if not gmssl.sm2_verify_sm3_digest(expected_point, probe, gmssl.sm2_sign_sm3_digest(secret, probe)):
        raise SystemExit("the envelope's private key does not match the encryption certificate")
    return bytes(secret)


def _install_sm2(args: argparse.Namespace) -> None:
    result = _issued(args)
    directory, label = _key_dir(args), _label(args)
    scalar, point = _read_sm2_key(directory / f"{label}-sign.key")
    der, certificate = _certificate(result["certificate_pem"])
    if _sm2_point(certificate) != point:
        raise SystemExit(f"the issued certificate does not certify the key {label}-sign.key")
    (directory / f"{label}-sign.crt").write_bytes(pem.armor("CERTIFICATE", der))
    (directory / f"{label}-chain.pem").write_text(result["chain_pem"])
    print(f"installed signing certificate {certificate.serial_number:x} as {label}-sign.crt")
    if not result.get("encryption_certificate_pem"):
        return
    delivery = _call(args, f"/api/v1/applications/{_number(args)}/encryption-key", method="POST")
    envelope = base64.b64decode(delivery["enveloped_key"])
    enc_der, enc_certificate = _certificate(delivery["encryption_certificate_pem"])
    secret = open_enveloped_key(envelope, scalar, _sm2_point(enc_certificate))
    for suffix, data in (("enc.env", envelope), ("enc.key", _sm2_pkcs8(secret, _sm2_point(enc_certificate)))):
        path = directory / f"{label}-{suffix}"
        path.unlink(missing_ok=True)
        _write_private(path, data)
    (directory / f"{label}-enc.crt").write_bytes(pem.armor("CERTIFICATE", enc_der))
    print(f"installed encryption certificate {enc_certificate.serial_number:x} and its key as {label}-enc.*")


# --- command line ----------------------------------------------------------------------------


def submit(args: argparse.Namespace) -> None:
    algorithm = _algorithm(args)
    if args.key_dir:
        _submit_sm2(args, algorithm)
    else:
        _submit_pkcs11(args, algorithm)


def install(args: argparse.Namespace) -> None:
    if args.key_dir:
        _install_sm2(args)
    else:
        _install_pkcs11(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Inkseal UKEY client tool")
    parser.add_argument("command", choices=["submit", "install"])
    parser.add_argument("--url", required=True, help="Inkseal base URL")
    parser.add_argument("--token", required=True, help="客户端令牌 from the application page")
    parser.add_argument("--module", default="/usr/lib/softhsm/libsofthsm2.so", help="PKCS#11 module")
    parser.add_argument("--token-label", help="PKCS#11 token label")
    parser.add_argument("--pin", help="PKCS#11 user PIN")
    parser.add_argument("--key-dir", help="SM2: software token directory instead of a PKCS#11 token")
    parser.add_argument("--algorithm", choices=[*PKCS11_ALGORITHMS, "sm2"], help="default: the product's")
    parser.add_argument("--serial", help="UKEY serial number (submit)")
    parser.add_argument("--csr-out", help="also write the request here (PEM)")
    args = parser.parse_args(argv)
    if args.command == "submit" and not args.serial:
        parser.error("submit needs --serial")
    if not args.key_dir and not (args.token_label and args.pin):
        parser.error("give --token-label and --pin of a PKCS#11 token, or --key-dir for SM2")
    if args.command == "submit":
        submit(args)
    else:
        install(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
