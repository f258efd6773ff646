"""Drive the whole signing API against a running demo (`make run`), as an integrator would.

    .venv/bin/python examples/sign_with_api.py [file.pdf|file.ofd] [--out signed.pdf] [--algorithm rsa-2048]

Reads var/demo.json (written by `make run`): the demo platform's client credentials and the
enterprise certificate authorised to the demo bidder. Then: token → sign task → SMS code (read
from the sandbox outbox, /dev/sms.json) → confirmation → signed PDF → POST /api/v1/verify.
Without a file it signs a blank A4 page made here. By default it signs with the demo enterprise's
first certificate, its SM2 dual certificate (a GM/T 0010 signature, which also leaves a GB/T 38540
电子签章 in 应用记录); `--algorithm rsa-2048` picks its RSA certificate (a PAdES signature that
international readers such as Adobe Reader and pdfsig accept). An `.ofd` file (told by its content,
as Inkseal does) gets a GB/T 38540 seal in the middle of page 1, placed in millimetres from the
page's top left; OFD needs the SM2 certificate (the default). Exits non-zero at the first refusal.
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
TIMEOUT = 60


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="?", type=Path, help="a PDF or OFD file (default: a blank A4 PDF)")
    parser.add_argument("--out", type=Path, help="where the signed file goes (default: signed.pdf or signed.ofd)")
    parser.add_argument("--algorithm", help="the demo certificate's algorithm (sm2, rsa-2048); default: the first")
    parser.add_argument("--demo-json", type=Path, default=ROOT / "var" / "demo.json")
    args = parser.parse_args()
    demo = json.loads(args.demo_json.read_text())
    base, api = demo["inkseal_url"], demo["platform"]["api"]
    certificate = next(
        c
        for c in demo["certificates"]
        if c["kind"] == "enterprise" and (args.algorithm is None or c.get("algorithm") == args.algorithm)
    )
    confirmer = certificate["authorised_person"]
    pdf = args.pdf.read_bytes() if args.pdf else blank_a4()
    is_ofd = pdf.startswith(b"PK\x03\x04")  # OFD packages are ZIP files
    extension, media_type = ("ofd", "application/ofd") if is_ofd else ("pdf", "application/pdf")
    out = args.out or Path(f"signed.{extension}")
    # PDF: the seal's centre in points from the page's lower left; OFD: millimetres from its top left
    placement = {"page": 1, "x": 105, "y": 148} if is_ofd else {"page": 1, "x": 400, "y": 160}

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
        "signer": {"certificate_serial": certificate["serial"]},
        "confirmer": {"phone": confirmer["phone"]},
        "documents": [{"file": 0, "placements": [{"seal_type": "official", **placement}]}],
        "pades_level": "B-T",
        "business_type": "投标文件",
        "business_id": uuid.uuid4().hex,
    }
    task = check(
        requests.post(
            f"{base}/api/v1/sign-tasks",
            headers=auth | {"Idempotency-Key": spec["business_id"]},
            data={"spec": json.dumps(spec, ensure_ascii=False)},
            files=[("files", (f"bid.{extension}", pdf, media_type))],
            timeout=TIMEOUT,
        ),
        "sign task",
    )
    print(f"task {task['id']}: {task['status']}, confirm at {task['confirm_url']}")

    confirm_token = task["confirm_url"].rstrip("/").rsplit("/", 1)[-1]
    check(requests.post(f"{base}/api/v1/confirm/{confirm_token}/code", timeout=TIMEOUT), "send code")
    outbox = check(
        requests.get(f"{base}/dev/sms.json", params={"phone": confirmer["phone"]}, timeout=TIMEOUT), "outbox"
    )
    code = re.search(r"验证码为(\d{6})", outbox["messages"][0]["body"])
    if code is None:
        sys.exit("no SMS code in the sandbox outbox")
    done = check(
        requests.post(
            f"{base}/api/v1/confirm/{confirm_token}", json={"method": "sms", "code": code.group(1)}, timeout=TIMEOUT
        ),
        "confirm",
    )
    print(f"confirmed by {confirmer['name']}: {done['status']}")

    signed = check(
        requests.get(f"{base}/api/v1/sign-tasks/{task['id']}/documents/1", headers=auth, timeout=TIMEOUT), "download"
    )
    out.write_bytes(signed)
    report = check(
        requests.post(
            f"{base}/api/v1/verify", files={"file": (f"signed.{extension}", signed, media_type)}, timeout=TIMEOUT
        ),
        "verify",
    )
    for signature in report["signatures"]:
        kind = " ".join(str(part) for part in (signature.get("signature_format"), signature.get("level")) if part)
        print(f"  {signature.get('signer')}: valid={signature.get('valid')} format={kind}")
    print(f"signed {extension.upper()} written to {out} (all valid: {report['all_valid']})")
    sys.exit(0 if report["all_valid"] else 1)


if __name__ == "__main__":
    main()
