"""Create a sign flow (签署流程) with two signers against a running demo (`make run`), as an integrator would.

    .venv/bin/python examples/sign_flow_with_api.py [file.pdf] [--out signed.pdf]

Reads var/demo.json (written by `make run`): the demo platform's client credentials and the demo
certificates authorised to it. Then: token → POST /api/v1/sign-flows with two signers in two
steps (the expert's personal certificate, then the enterprise's SM2 certificate) → each signer,
when its step comes, asks for an SMS code on its own link and confirms (the code read from the
sandbox outbox, /dev/sms.json) → GET the flow until it is signed → the final PDF → POST
/api/v1/verify. Without a file it signs a blank A4 page made here. Exits non-zero at the first
refusal or when a signature of the final document does not verify.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def blank_a4() -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def check(response: requests.Response, what: str) -> Any:
    if not response.ok:
        sys.exit(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if "json" in response.headers.get("Content-Type", "") else response.content


def signers(demo: dict[str, Any]) -> list[dict[str, Any]]:
    """The expert's personal certificate (step 1), then the enterprise's first (SM2) one (step 2)."""
    personal = next(c for c in demo["certificates"] if c["kind"] == "personal")
    enterprise = next(c for c in demo["certificates"] if c["kind"] == "enterprise")
    out = []
    for step, (certificate, x) in enumerate(((personal, 150), (enterprise, 400)), start=1):
        out.append(
            {
                "step": step,
                "signer": {"certificate_serial": certificate["serial"]},
                "confirmer": {"phone": certificate["authorised_person"]["phone"]},
                # the seal's centre in points from the page's lower left
                "placements": [{"seal_type": certificate["seal_types"][0], "page": 1, "x": x, "y": 160}],
            }
        )
    return out


def confirm(base: str, confirm_url: str, phone: str) -> dict[str, Any]:
    """The signer's part: an SMS code on its own link, then the confirmation with that code."""
    token = confirm_url.rstrip("/").rsplit("/", 1)[-1]
    check(requests.post(f"{base}/api/v1/flow-confirm/{token}/code", timeout=TIMEOUT), "send code")
    outbox = check(requests.get(f"{base}/dev/sms.json", params={"phone": phone}, timeout=TIMEOUT), "outbox")
    code = next((m.group(1) for s in outbox["messages"] if (m := re.search(r"验证码为(\d{6})", s["body"]))), None)
    if code is None:
        sys.exit("no SMS code in the sandbox outbox")
    return dict(
        check(
            requests.post(f"{base}/api/v1/flow-confirm/{token}", json={"method": "sms", "code": code}, timeout=TIMEOUT),
            "confirm",
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="?", type=Path, help="a PDF (default: a blank A4 page)")
    parser.add_argument("--out", type=Path, default=Path("signed-flow.pdf"), help="where the final PDF goes")
    parser.add_argument("--demo-json", type=Path, default=ROOT / "var" / "demo.json")
    args = parser.parse_args()
    demo = json.loads(args.demo_json.read_text())
    base, api = demo["inkseal_url"], demo["platform"]["api"]
    pdf = args.pdf.read_bytes() if args.pdf else blank_a4()

    token = check(
        requests.post(
            f"{base}/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": api["client_id"],
                "client_secret": api["client_secret"],
            },
            timeout=TIMEOUT,
        ),
        "token",
    )["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    spec = {
        "signers": signers(demo),
        "pades_level": "B-T",
        "business_type": "评标报告",
        "business_id": uuid.uuid4().hex,
        "expires_in_hours": 24,
    }
    flow = check(
        requests.post(
            f"{base}/api/v1/sign-flows",
            headers=auth | {"Idempotency-Key": spec["business_id"]},
            data={"spec": json.dumps(spec, ensure_ascii=False)},
            files=[("files", ("report.pdf", pdf, "application/pdf"))],
            timeout=TIMEOUT,
        ),
        "sign flow",
    )
    print(f"flow {flow['id']}: {flow['status']}, signers {[s['status'] for s in flow['signers']]}")

    for number, signer in enumerate(spec["signers"], start=1):
        shown = check(requests.get(f"{base}/api/v1/sign-flows/{flow['id']}", headers=auth, timeout=TIMEOUT), "flow")
        link = shown["signers"][number - 1]["confirm_url"]
        if not link:
            sys.exit(f"signer {number} has no link (status {shown['signers'][number - 1]['status']})")
        done = confirm(base, link, signer["confirmer"]["phone"])
        print(f"signer {number} (step {signer['step']}): {done['status']}, flow {done.get('flow_status')}")

    final = check(requests.get(f"{base}/api/v1/sign-flows/{flow['id']}", headers=auth, timeout=TIMEOUT), "flow")
    if final["status"] != "signed":
        sys.exit(f"the flow ended {final['status']}: {final.get('reason')}")
    signed = check(
        requests.get(f"{base}/api/v1/sign-flows/{flow['id']}/documents/1", headers=auth, timeout=TIMEOUT), "download"
    )
    args.out.write_bytes(signed)
    report = check(
        requests.post(
            f"{base}/api/v1/verify", files={"file": ("signed.pdf", signed, "application/pdf")}, timeout=TIMEOUT
        ),
        "verify",
    )
    for signature in report["signatures"]:
        print(f"  {signature.get('signer')}: valid={signature.get('valid')} format={signature.get('signature_format')}")
    print(
        f"final PDF ({len(report['signatures'])} signatures) written to {args.out} (all valid: {report['all_valid']})"
    )
    sys.exit(0 if report["all_valid"] else 1)


if __name__ == "__main__":
    main()
