"""会签 throughput: N signers of one step confirm one document at the same moment.

    scripts/with-postgres.sh .venv/bin/python bench/sign_flow_bench.py [--signers 20]

A sign flow of one one-page PDF with N signers in step 1 (each its own ECDSA P-256 cloud
certificate with the 公章 bound, authorised to the platform for a phone of its own, PIN-protected)
is created through the API; then N threads, released together, each confirm their link with the
PIN (Django's test client, in process). Every confirmation is accepted at once (its sign task
claimed); the signatures are applied one after the other on the document's current version.
Printed: confirmations accepted per second (N / time until the last claim), signatures applied
per second, the time until the last signature is applied, and a check of the final PDF (N
signatures, every one intact, by pyHanko).
Real concurrent transactions: run it on PostgreSQL (SQLite serialises every writer).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from django.db import connection
from django.test import Client
from lifecycle_fixture import PIN, ready

from inkseal.platforms.models import TradingPlatform
from inkseal.seals.models import Seal, SealType
from inkseal.signing.models import FlowDocument, FlowSigner, SignFlow
from tests.helpers.sign_lifecycle import signer_certificate_like


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signers", type=int, default=20)
    args = parser.parse_args()
    fixture, platform = ready()
    trading_platform = TradingPlatform.objects.get(code="bench")
    seals = [Seal.objects.get(owner=fixture.certificate.holder, kind=SealType.OFFICIAL)]
    signers = []
    for index in range(args.signers):
        phone = f"1391000{index:04d}"
        certificate = signer_certificate_like(fixture.certificate, trading_platform, phone, seals, PIN)
        signers.append(
            {
                "step": 1,
                "signer": {"certificate_serial": certificate.serial},
                "confirmer": {"phone": phone},
                "placements": [
                    {"seal_type": "official", "page": 1, "x": 80 + (index % 5) * 105, "y": 120 + (index // 5) * 130}
                ],
            }
        )
    upload = io.BytesIO(platform.pdf)
    upload.name = "report.pdf"
    spec = {"signers": signers, "business_type": "评标报告", "callback_url": "http://127.0.0.1:9/callback"}
    created = platform.http.post(
        "/api/v1/sign-flows", {"spec": json.dumps(spec, ensure_ascii=False), "files": [upload]}, **platform.auth
    )
    assert created.status_code == 201, created.content
    flow = created.json()
    links = [str(s["confirm_url"]).rsplit("/", 1)[-1] for s in flow["signers"]]

    barrier = threading.Barrier(len(links) + 1)
    answers: list[int] = []

    def confirm(link: str) -> None:
        client = Client()
        barrier.wait()
        response = client.post(
            f"/api/v1/flow-confirm/{link}", {"method": "pin", "pin": PIN}, content_type="application/json"
        )
        answers.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=confirm, args=(link,)) for link in links]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.time()
    for thread in threads:
        thread.join()
    wall = time.time() - started

    stored = SignFlow.objects.get(public_id=flow["id"])
    rows = list(FlowSigner.objects.filter(flow=stored).select_related("task"))
    claims = sorted(row.task.confirmed_at.timestamp() for row in rows if row.task.confirmed_at)
    applied = sorted(row.signed_at.timestamp() for row in rows if row.signed_at)
    document = FlowDocument.objects.get(flow=stored)
    with document.current.open("rb") as handle:
        pdf = handle.read()
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    logging.getLogger("pyhanko").setLevel(logging.ERROR)  # no trust roots here: integrity only
    intact = sum(validate_pdf_signature(s).intact for s in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures)
    n = len(links)
    print(f"signers: {n}, answers: {sorted(set(answers))}, flow: {stored.status}, signatures: {document.version}")
    accepted_in, last = claims[-1] - started, applied[-1] - started
    print(f"confirmations accepted: {len(claims)} in {accepted_in:.2f} s = {len(claims) / accepted_in:.1f}/s")
    print(f"signatures applied: {len(applied)}; the last {last:.2f} s after the release = {len(applied) / last:.1f}/s")
    print(f"every request answered within {wall:.2f} s; final PDF: {intact}/{n} signatures intact (pyHanko)")
    assert stored.status == "signed" and document.version == n and intact == n


if __name__ == "__main__":
    main()
