"""SM2 signatures per second: our `gm` module beside the candidate libraries and `openssl speed sm2`.

    .venv/bin/python bench/sm2_bench.py [--seconds 1.5] [--rounds 3]

Each round measures every candidate once, one thread, in turn, so a busy machine slows them all
alike; the best round of each is printed. "sign e" signs a precomputed e = SM3(Z_A || M) (what
`KeyHandle.sign_digest` does; PDF signing hashes first), "sign M" includes Z_A and SM3 of a short
message. Candidates that are not installed are skipped:

- inkseal gm: `SM2.generate_soft_key().sign_digest(e)` and `PublicKey.verify` (gmssl-pyx inside);
- gmssl-pyx: the C extension over GmSSL 3.2 called directly;
- tongsuopy: Tongsuo (an OpenSSL 1.1.1 fork) through its cryptography-style API (sign M), and
  through its cffi internals for sign e (no public API for it);
- snowland-smx: pure Python, the independent cross-check of the tests;
- cryptography: checked for SM2 support (none: it cannot load SM2 keys);
- `openssl speed sm2` (the system OpenSSL 3): the ceiling.

Recorded on the 2-vCPU development machine (CPython 3.11, OpenSSL 3.0.19), best of 5 rounds while
other test runs shared it (load about 4), so compare within a run, not across runs:

                                                   sign/s  verify/s  sign vs openssl
    openssl speed sm2                                2226      2537   1.00x
    inkseal gm: sign e / verify e                    2959      1399   1.33x
    inkseal gm: sign M / verify M                    2303      1173   1.03x
    gmssl-pyx 2.1.0: sign e / verify e               3076      1248   1.38x
    tongsuopy 1.0.1: sign M / verify M               2375      2630   1.07x
    tongsuopy 1.0.1: sign e / verify e (internals)   2346      2682   1.05x
    snowland-smx (pure Python)                        374       184   0.17x
    cryptography 50.0.2: no SM2 (cannot load SM2 keys)

gmssl-pyx signs fastest and has a public API for signing e; Tongsuo verifies about twice as fast
but rests on an OpenSSL 1.1.1 fork, was last released in 2023 and signs e only through internals.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inkseal.pki import gm
from inkseal.pki.algorithms import SM2

MESSAGE = b"%PDF-1.7 byte ranges of a contract" * 4
Candidate = tuple[str, Callable[[], object], Callable[[], object]]  # label, sign, verify


def rate(action: Callable[[], object], seconds: float) -> float:
    """Operations per second over about `seconds` of wall time (after one warm-up call)."""
    action()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(20):
            action()
        count += 20
    return count / elapsed


def openssl_speed(seconds: float) -> tuple[float, float]:
    result = subprocess.run(
        ["openssl", "speed", "-seconds", str(max(1, round(seconds))), "sm2"],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"SM2 \(CurveSM2\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", result.stdout)
    if match is None:
        raise RuntimeError(f"unexpected openssl speed output:\n{result.stdout}")
    return float(match.group(1)), float(match.group(2))


def ours() -> list[Candidate]:
    key = SM2.generate_soft_key()
    digest = key.algorithm.signing_digest(MESSAGE, key.public_key)
    signature = key.sign_digest(digest)
    public = key.public_key
    native: gm.Sm2PublicKey = public.native
    return [
        (
            "inkseal gm: sign e / verify e",
            lambda: key.sign_digest(digest),
            lambda: native.verify_digest(signature, digest),
        ),
        ("inkseal gm: sign M / verify M", lambda: key.sign(MESSAGE), lambda: public.verify(signature, MESSAGE)),
    ]


def gmssl_pyx() -> list[Candidate]:
    import gmssl_pyx as g

    point, scalar = g.sm2_key_generate()
    digest = hashlib.new("sm3", MESSAGE).digest()
    signature = g.sm2_sign_sm3_digest(scalar, digest)
    return [
        (
            f"gmssl-pyx {g.__version__}: sign e / verify e",
            lambda: g.sm2_sign_sm3_digest(scalar, digest),
            lambda: g.sm2_verify_sm3_digest(point, digest, signature),
        )
    ]


def tongsuopy() -> list[Candidate]:
    import tongsuopy as ts
    from tongsuopy.backends.tongsuo.backend import backend
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    key = ec.generate_private_key(ec.SM2())
    public = key.public_key()
    algorithm = ec.ECDSA(hashes.SM3())
    signature = key.sign(MESSAGE, algorithm)
    lib, ffi = backend._lib, backend._ffi
    digest = hashlib.new("sm3", MESSAGE).digest()

    def pkey_call(evp_pkey: Any, init: Any, operation: Any, *args: Any) -> Any:
        context = ffi.gc(lib.EVP_PKEY_CTX_new(evp_pkey, ffi.NULL), lib.EVP_PKEY_CTX_free)
        if init(context) != 1:
            raise RuntimeError("EVP_PKEY init failed")
        return operation(context, *args)

    def sign_digest() -> bytes:
        size = ffi.new("size_t *", 80)
        buffer = ffi.new("unsigned char[]", 80)
        if pkey_call(key._evp_pkey, lib.EVP_PKEY_sign_init, lib.EVP_PKEY_sign, buffer, size, digest, 32) != 1:
            raise RuntimeError("EVP_PKEY_sign failed")
        return bytes(ffi.buffer(buffer)[: size[0]])

    digest_signature = sign_digest()

    def verify_digest() -> None:
        verify = lib.EVP_PKEY_verify
        args = (digest_signature, len(digest_signature), digest, 32)
        if pkey_call(public._evp_pkey, lib.EVP_PKEY_verify_init, verify, *args) != 1:
            raise RuntimeError("EVP_PKEY_verify failed")

    version = ts.__version__
    return [
        (
            f"tongsuopy {version}: sign M / verify M",
            lambda: key.sign(MESSAGE, algorithm),
            lambda: public.verify(signature, MESSAGE, algorithm),
        ),
        (f"tongsuopy {version}: sign e / verify e (cffi internals)", sign_digest, verify_digest),
    ]


def snowland() -> list[Candidate]:
    from pysmx.SM2 import Sign, Verify, generate_keypair

    pair = generate_keypair()
    e = hashlib.new("sm3", MESSAGE).hexdigest()
    signature = Sign(e, pair.privateKey, secrets.token_hex(32), 64, Hexstr=1)
    return [
        (
            "snowland-smx (pure Python): sign e / verify e",
            lambda: Sign(e, pair.privateKey, secrets.token_hex(32), 64, Hexstr=1),
            lambda: Verify(signature, e, pair.publicKey, 64, Hexstr=1),
        )
    ]


def cryptography_support() -> str:
    import cryptography
    from cryptography.hazmat.primitives import serialization

    try:
        serialization.load_der_public_key(SM2.generate_soft_key().public_key.spki_der)
    except Exception as exc:
        return f"cryptography {cryptography.__version__}: no SM2 ({exc})"
    return f"cryptography {cryptography.__version__}: loads SM2 public keys"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    candidates: list[Candidate] = [*ours(), *gmssl_pyx()]
    for loader in (tongsuopy, snowland):
        try:
            candidates += loader()
        except ImportError as exc:
            print(f"skipped: {exc}")
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.rounds):
        rows = [("openssl speed sm2", *openssl_speed(args.seconds))]
        for label, sign, verify in candidates:
            seconds = args.seconds / 10 if label.startswith("snowland") else args.seconds
            rows.append((label, rate(sign, seconds), rate(verify, seconds)))
        for label, signs, verifies in rows:
            old = best.get(label, (0.0, 0.0))
            best[label] = (max(old[0], signs), max(old[1], verifies))

    openssl_version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    print(f"\nSM2 operations per second, one thread, best of {args.rounds} rounds ({openssl_version})")
    print(f"{'':58} {'sign/s':>9} {'verify/s':>9} {'sign vs openssl':>16}")
    ceiling = best["openssl speed sm2"][0]
    for label, (signs, verifies) in best.items():
        print(f"{label:58} {signs:9.0f} {verifies:9.0f} {signs / ceiling:15.2f}x")
    print(cryptography_support())


if __name__ == "__main__":
    main()
