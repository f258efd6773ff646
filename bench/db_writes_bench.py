"""Database writes and bytes stored per signature: what the sizing table of docs/scaling.md is
computed from.

    .venv/bin/python bench/db_writes_bench.py [--tasks 50] [--batch 10]

A throwaway var dir and SQLite database (or the PostgreSQL database of DATABASE_URL, under
`scripts/with-postgres.sh`), the fixture of bench/signing_http_bench.py (an RSA-2048 cloud
certificate, a bound 公章, a platform, an authorised confirmer). --tasks one-document tasks, then
one task of --batch documents, go through the API with Django's test client (create, SMS code,
confirm, download: PAdES B-T, one seal on a one-page PDF). Printed per signature: the INSERT,
UPDATE and DELETE statements by table (every statement that changes a row, as a replica or a
write-ahead log sees it), the rows left behind by table, and the bytes added to the database and
to the file storage (the original and the signed PDF).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import signing_http_bench as shb
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

WRITE = re.compile(r'^\s*(INSERT(?: OR \w+)? INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.I)


def rows() -> Counter[str]:
    return Counter({model._meta.db_table: model.objects.count() for model in apps.get_models()})


def database_bytes() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        return pages * int(cursor.fetchone()[0])


def media_bytes() -> int:
    media = Path(shb.os.environ["INKSEAL_VAR_DIR"]) / "media"
    return sum(path.stat().st_size for path in media.rglob("*") if path.is_file())


def measure(label: str, run: object, tasks: int, signatures: int) -> None:
    before_rows, before_db, before_media = rows(), database_bytes(), media_bytes()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(tasks):
            run()  # type: ignore[operator]
    writes: Counter[str] = Counter()
    statements = 0
    for query in queries.captured_queries:
        statements += 1
        found = WRITE.match(query["sql"])
        if found:
            writes[f"{found.group(1).split()[0].upper()} {found.group(2)}"] += 1
    grown = rows() - before_rows
    print(f"== {label}: {tasks} task(s), {signatures} signature(s), {connection.vendor}")
    total = sum(writes.values())
    print(f"statements per signature: {statements / signatures:.1f}, of which writes: {total / signatures:.1f}")
    for name, count in sorted(writes.items(), key=lambda item: -item[1]):
        print(f"  {count / signatures:5.2f}  {name}")
    print(f"rows left per signature: {sum(grown.values()) / signatures:.1f}")
    for table, count in sorted(grown.items(), key=lambda item: -item[1]):
        print(f"  {count / signatures:5.2f}  {table}")
    print(f"database bytes per signature: {(database_bytes() - before_db) / signatures:,.0f}")
    print(
        f"file storage bytes per signature (original + signed PDF): {(media_bytes() - before_media) / signatures:,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    fixture = shb.setup(confirmers=1)
    pdf = shb.one_page_pdf()
    one = shb.test_client_flow(fixture, pdf)
    one()  # warm up: caches, first-use rows (TSA serial block, token)
    measure("one-document tasks", one, args.tasks, args.tasks)
    if args.batch > 1:
        batch = batch_flow(fixture, pdf, args.batch)
        batch()
        measure(f"tasks of {args.batch} documents", batch, 2, 2 * args.batch)


def batch_flow(fixture: shb.Fixture, pdf: bytes, documents: int) -> object:
    import io

    from django.test import Client

    http = Client()
    token = http.post(
        "/api/v1/oauth/token", {"client_id": fixture.client_id, "client_secret": fixture.client_secret}
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    spec = fixture.spec(documents=documents)

    def run() -> None:
        uploads = []
        for n in range(documents):
            upload = io.BytesIO(pdf)
            upload.name = f"{n}.pdf"
            uploads.append(upload)
        task = http.post("/api/v1/sign-tasks", {"spec": spec, "files": uploads}, **auth).json()
        confirm = task["confirm_url"].rsplit("/", 1)[-1]
        http.post(f"/api/v1/confirm/{confirm}/code")
        body = shb.SmsMessage.objects.filter(phone=shb.PHONE).order_by("-pk").first().body  # type: ignore[union-attr]
        code = shb.CODE.search(body).group(1)  # type: ignore[union-attr]
        done = http.post(f"/api/v1/confirm/{confirm}", {"method": "sms", "code": code}, content_type="application/json")
        assert done.json()["status"] == "completed", done.content
        for n in range(1, documents + 1):
            assert http.get(f"/api/v1/sign-tasks/{task['id']}/documents/{n}", **auth).status_code == 200

    return run


if __name__ == "__main__":
    main()
