"""Shared by bench/signing_kill_bench.py and bench/signing_revoke_race_bench.py: the throwaway
database and PKI of bench/signing_http_bench.py (SQLite in a temporary var dir, or the
PostgreSQL database of DATABASE_URL), a PIN on the certificate, and sign tasks created through
the API with Django's test client."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.test import Client
from signing_http_bench import PHONE, Fixture, one_page_pdf, setup

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.pins import set_pin

PIN = "135792"
CALLBACK = "http://127.0.0.1:9/callback"  # never delivered here: no job consumer runs, callbacks stay queued

__all__ = ["PHONE", "PIN", "Fixture", "Platform", "ready"]


class Platform:
    """The trading platform's side: creates sign tasks through the API."""

    def __init__(self, fixture: Fixture):
        self.http = Client()
        self.fixture = fixture
        self.pdf = one_page_pdf()
        self.token_at = 0.0

    @property
    def auth(self) -> dict[str, str]:
        if time.monotonic() - self.token_at > 600:  # access tokens live 15 minutes
            token = self.http.post(
                "/api/v1/oauth/token",
                {"client_id": self.fixture.client_id, "client_secret": self.fixture.client_secret},
            ).json()["access_token"]
            self._auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            self.token_at = time.monotonic()
        return self._auth

    def create(self, serial: str, documents: int) -> str:
        """A task of `documents` one-page PDFs signed by certificate `serial`; its confirm token."""
        uploads = []
        for number in range(documents):
            upload = io.BytesIO(self.pdf)
            upload.name = f"bid-{number}.pdf"
            uploads.append(upload)
        placements = [{"seal_type": "official", "page": 1, "x": 300, "y": 300}]
        spec = {
            "signer": {"certificate_serial": serial},
            "confirmer": {"phone": PHONE},
            "documents": [{"file": n, "placements": placements} for n in range(documents)],
            "business_type": "投标文件",
            "callback_url": CALLBACK,
        }
        response = self.http.post(
            "/api/v1/sign-tasks", {"spec": json.dumps(spec, ensure_ascii=False), "files": uploads}, **self.auth
        )
        assert response.status_code == 201, response.content
        return str(response.json()["confirm_url"]).rsplit("/", 1)[-1]


def ready() -> tuple[Fixture, Platform]:
    fixture = setup()
    set_pin(fixture.certificate, PIN, acting=Acting(Actor("system", "", "bench")))
    return fixture, Platform(fixture)
