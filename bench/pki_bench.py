"""PKI core speed, in process (no HTTP, no database).

    .venv/bin/python bench/pki_bench.py [--seconds 2] [--hsm]

Prints certificates issued per second (RSA-2048 and P-256 leaves, with and without generating
the key in the soft keystore), OCSP responses per second, the time to build a CRL of 100,000
entries and time-stamp replies per second. The hierarchy is the production default (RSA-3072
root and RSA issuing CA, P-256 issuing CA); each figure is one thread on one core.
With --hsm, CA keys in a throwaway SoftHSM2 token are measured too.

Then OCSP responses per second through HTTP: the whole platform served by gunicorn on loopback
(as `inkseal serve`: 2 workers x 4 threads) with a throwaway SQLite database and hierarchy, and
a bounded loop of POSTs from client threads (keep-alive) for each issuing CA (--no-http skips).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asn1crypto import tsp
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as cx_ocsp

from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, RSA_3072, Algorithm
from inkseal.pki.crl import RevocationReason, RevokedEntry, build_crl
from inkseal.pki.hierarchy import (
    Hierarchy,
    bootstrap_hierarchy,
    create_issuing_ca,
    create_ocsp_signer,
    create_root_ca,
)
from inkseal.pki.keystores import Keystore
from inkseal.pki.keystores.soft import KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.names import enterprise_subject
from inkseal.pki.ocsp import CertStatus, OcspIssuer, OcspResponder
from inkseal.pki.profiles import ENTERPRISE_SIGNING, validity_years
from inkseal.pki.tsa import TimeStampAuthority
from inkseal.pki.x509 import Certificate, CertificateAuthority, PublicUrls, issue_certificate, random_serial

URLS = PublicUrls("https://ca.inkseal.example")
NOW = datetime.now(UTC)


def rate(action: Callable[[], object], seconds: float) -> float:
    """Operations per second over about `seconds` of wall time (after one warm-up call)."""
    action()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        action()
        count += 1
    return count / elapsed


def issue_leaf(ca: CertificateAuthority, keystore: Keystore, algorithm: Algorithm, key_id: str | None) -> Certificate:
    key_id = key_id or keystore.generate_key(algorithm, "bench")
    return issue_certificate(
        ca,
        subject=enterprise_subject("某某科技有限公司", "91350100M000100Y43"),
        public_key=keystore.public_key(key_id),
        profile=ENTERPRISE_SIGNING,
        validity=validity_years(1, NOW),
        urls=URLS,
    )


def bench_issuance(hierarchy: Hierarchy, keystore: Keystore, seconds: float) -> None:
    for algorithm, family in ((RSA_2048, "rsa"), (ECDSA_P256, "ecdsa")):
        ca = hierarchy.issuing[family]
        fixed_key = keystore.generate_key(algorithm, "bench")
        excluded = rate(lambda: issue_leaf(ca, keystore, algorithm, fixed_key), seconds)  # noqa: B023
        included = rate(lambda: issue_leaf(ca, keystore, algorithm, None), seconds)  # noqa: B023
        where = f"{algorithm.label} leaf, {ca.algorithm.label} CA"
        print(f"certificates/s  {where:<32} key generation excluded {excluded:8.0f}   included {included:8.1f}")


def ocsp_request(leaf: Certificate, issuer: Certificate) -> bytes:
    builder = cx_ocsp.OCSPRequestBuilder().add_certificate(
        cx.load_der_x509_certificate(leaf.der), cx.load_der_x509_certificate(issuer.der), hashes.SHA1()
    )
    builder = builder.add_extension(cx.OCSPNonce(os.urandom(16)), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def bench_ocsp(hierarchy: Hierarchy, keystore: Keystore, seconds: float) -> None:
    # Each CA's responder key has the CA's algorithm; RSA-2048 under the RSA-3072 CA is shown as
    # the faster option (the responder certificate is short-lived, so the smaller key is fine).
    rsa_ca = hierarchy.issuing["rsa"]
    small = create_ocsp_signer(rsa_ca, keystore, organization="B", urls=URLS, now=NOW, algorithm=RSA_2048)
    signers = [(ca, hierarchy.ocsp[ca.ca_id]) for ca in hierarchy.issuing.values()] + [(rsa_ca, small)]
    for ca, signer in signers:
        issuer = OcspIssuer(ca.ca_id, ca.certificate, signer.certificate, keystore.signer(signer.key_id))
        responder = OcspResponder([issuer], lambda ca_id, serial: CertStatus.good())
        request = ocsp_request(issue_leaf(ca, keystore, ECDSA_P256, None), ca.certificate)
        per_second = rate(lambda: responder.respond(request), seconds)  # noqa: B023
        label = f"{ca.algorithm.label} CA, {signer.certificate.public_key.algorithm.label} responder key"
        print(f"OCSP responses/s  {label:<44} {per_second:8.0f}")


def bench_crl(hierarchy: Hierarchy) -> None:
    entries = [
        RevokedEntry(random_serial(), NOW - timedelta(seconds=i), RevocationReason(i % 6)) for i in range(100_000)
    ]
    for ca in hierarchy.issuing.values():
        started = time.perf_counter()
        crl = build_crl(ca, entries, crl_number=1, this_update=NOW, next_update=NOW + timedelta(days=1))
        elapsed = time.perf_counter() - started
        print(f"CRL of 100,000 entries  {ca.algorithm.label:<12} {elapsed:6.2f} s  ({len(crl) / 1e6:.1f} MB)")


def bench_tsa(keystore: Keystore, hierarchy: Hierarchy, seconds: float) -> None:
    assert hierarchy.tsa is not None
    work = Path(tempfile.mkdtemp())
    (work / "doc").write_bytes(b"document")
    command = ["openssl", "ts", "-query", "-data", "doc", "-sha256", "-cert", "-out", "q.tsq"]
    subprocess.run(command, cwd=work, check=True, capture_output=True)
    request = (work / "q.tsq").read_bytes()
    shutil.rmtree(work)
    tsa = TimeStampAuthority(
        hierarchy.tsa.certificate,
        keystore.signer(hierarchy.tsa.key_id),
        serials=itertools.count(1).__next__,
        chain=[hierarchy.issuing[hierarchy.tsa.certificate.public_key.algorithm.family].certificate],
    )
    per_second = rate(lambda: tsa.respond(request), seconds)
    print(f"time-stamp replies/s  {tsa.signer.algorithm.label} TSA key            {per_second:8.0f}")


def bench_hsm(seconds: float) -> None:
    from inkseal.pki.keystores.pkcs11 import Pkcs11Keystore

    module = "/usr/lib/softhsm/libsofthsm2.so"
    if shutil.which("softhsm2-util") is None or not Path(module).exists():
        print("SoftHSM2 not installed: skipping the HSM figures")
        return
    root = Path(tempfile.mkdtemp())
    (root / "tokens").mkdir()
    (root / "conf").write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(root / "conf")
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"],
        check=True,
        capture_output=True,
    )
    hsm = Pkcs11Keystore(module, "bench", "1234")
    soft = SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())
    for algorithm in (RSA_2048, ECDSA_P256):
        ca_root = create_root_ca(hsm, algorithm, ca_id="r", common_name="HSM Root", organization="B", now=NOW)
        ca = create_issuing_ca(
            ca_root, hsm, algorithm, ca_id="i", common_name="HSM CA", organization="B", urls=URLS, now=NOW
        )
        key_id = soft.generate_key(ECDSA_P256, "leaf")
        per_second = rate(lambda: issue_leaf(ca, soft, ECDSA_P256, key_id), seconds)  # noqa: B023
        print(f"certificates/s  CA key in SoftHSM2 ({algorithm.label:<11}), key generation excluded {per_second:8.0f}")
    hsm.close()
    shutil.rmtree(root)


def _inkseal(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "inkseal.cli", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


_SETUP = """
import sys
from inkseal.accounts.models import Party, Person, VerificationState
from inkseal.accounts.services import set_id_number
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting  # noqa: E402
from inkseal.pki.algorithms import get_algorithm
from inkseal.pki.services import issue_cloud_certificate, certificate_chain, certificate_pem
from inkseal.pki.pem import armor
person = Person(party=Party.objects.create(kind="person"), phone="13800009999", name="Bench")
set_id_number(person, "11010519880101001X")
person.verification_state = VerificationState.VERIFIED
person.save()
for name in ("rsa-2048", "ecdsa-p256"):
    c = issue_cloud_certificate(person.party, algorithm=get_algorithm(name), years=1, acting=Acting.system())
    print(certificate_pem(c) + armor(certificate_chain(c)[0], "CERTIFICATE") + "=====")
"""


OCSP = ("/pki/ocsp", "application/ocsp-request")
TSA = ("/pki/tsa", "application/timestamp-query")


def _post_loop(
    port: int,
    body: bytes,
    deadline: float,
    counts: list[int],
    index: int,
    where: tuple[str, str] = OCSP,
    latencies: list[float] | None = None,
) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": where[1]}
    while time.perf_counter() < deadline:
        sent = time.perf_counter()
        connection.request("POST", where[0], body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{where[0]} over HTTP answered {response.status}")
        if latencies is not None:
            latencies.append(time.perf_counter() - sent)
        counts[index] += 1
    connection.close()


def _p99_ms(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")


def _run_clients(
    port: int,
    body: bytes,
    seconds: float,
    counts: list[int],
    where: tuple[str, str] = OCSP,
    latencies: list[float] | None = None,
) -> None:
    import threading

    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_post_loop, args=(port, body, deadline, counts, i, where, latencies))
        for i in range(len(counts))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def bench_ocsp_http(seconds: float, clients: int = 4) -> None:
    import socket
    import urllib.request

    work = Path(tempfile.mkdtemp())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "INKSEAL_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "INKSEAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "INKSEAL_SANDBOX": "1",  # its default providers
        "INKSEAL_LOG_LEVEL": "WARNING",
    }
    _inkseal(env, "migrate", "-v0")
    _inkseal(env, "ca", "init")
    pairs = [block for block in _inkseal(env, "shell", "-c", _SETUP).split("=====") if block.strip()]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "inkseal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--no-control-socket", "--log-level", "warning"],
        env=env, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        for pem_pair in pairs:
            leaf, issuer = cx.load_pem_x509_certificates(pem_pair.strip().encode())
            request = ocsp_request(Certificate(leaf.public_bytes(serialization.Encoding.DER)), Certificate(
                issuer.public_bytes(serialization.Encoding.DER)))  # fmt: skip
            counts, latencies = [0] * clients, list[float]()
            _run_clients(port, request, 3.0, [0] * clients)  # warm up every worker (imports, key caches)
            started = time.perf_counter()
            _run_clients(port, request, seconds, counts, OCSP, latencies)
            per_second = sum(counts) / (time.perf_counter() - started)
            label = f"{leaf.public_key().__class__.__name__.removeprefix('_')[:3].upper()} leaf"
            where = "RSA CA (RSA-2048 responder key)" if "RSA" in label else "P-256 CA (P-256 responder key)"
            print(
                f"OCSP responses/s over HTTP  {where:<32} gunicorn 2x4, {clients} clients  {per_second:8.0f}"
                f"  (p99 {_p99_ms(latencies):.1f} ms; target 3,000/s, p99 < 10 ms)"
            )
        query = tsp.TimeStampReq(
            {
                "version": 1,
                "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": bytes(32)},
                "nonce": 42,
                "cert_req": True,
            }
        ).dump()
        counts, latencies = [0] * clients, list[float]()
        _run_clients(port, query, 3.0, [0] * clients, TSA)
        started = time.perf_counter()
        _run_clients(port, query, seconds, counts, TSA, latencies)
        per_second = sum(counts) / (time.perf_counter() - started)
        print(
            f"TSA tokens/s over HTTP      {'tsa-ecdsa':<32} gunicorn 2x4, {clients} clients  {per_second:8.0f}"
            f"  (p99 {_p99_ms(latencies):.1f} ms; target 1,000/s)"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--hsm", action="store_true", help="also measure CA keys in SoftHSM2")
    parser.add_argument("--no-http", action="store_true", help="skip the OCSP-over-HTTP figure (starts gunicorn)")
    args = parser.parse_args()
    keystore = SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())
    hierarchy = bootstrap_hierarchy(
        keystore, urls=URLS, organization="Inkseal Bench", now=NOW, issuing_algorithms=(RSA_3072, ECDSA_P256)
    )
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.seconds:g} s per figure, one thread")
    bench_issuance(hierarchy, keystore, args.seconds)
    bench_ocsp(hierarchy, keystore, args.seconds)
    bench_crl(hierarchy)
    bench_tsa(keystore, hierarchy, args.seconds)
    if args.hsm:
        bench_hsm(args.seconds)
    if not args.no_http:
        bench_ocsp_http(args.seconds)


if __name__ == "__main__":
    main()
