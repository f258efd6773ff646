"""接口文档 page: every script comes from our static files (no CDN, no inline script for a CSP to block)."""

from __future__ import annotations

import re

from django.test import Client


def test_api_docs_load_swagger_from_our_static_files(db):
    html = Client().get("/api/docs").content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts, html
    for attributes in scripts:
        assert 'src="/static/ninja/' in attributes or 'type="application/json"' in attributes, attributes
    assert "cdn" not in html.lower()
    assert "/static/ninja/swagger-ui.css" in html
    assert Client().get("/static/ninja/swagger-ui-init.js").status_code == 200
