"""In English, the portal's pages say Self-service signing, Cloud certificate, Official seal,
Legal representative seal and "to" — not 自助签署, 云证书, 公章、法定代表人章, 至 (issue #15): the
strings were built or rendered outside gettext."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.conftest import login_client
from tests.e2e.test_mobile import portal_pages
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing

pytestmark = pytest.mark.django_db(transaction=True)  # portal_pages signs in a thread

TERMS = ("自助签署", "云证书", "公章", "法定代表人章", "至")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_portal_pages_in_english_keep_no_chinese_terms(signing: Signing) -> None:
    pages = portal_pages(signing)
    enterprise = signing.certificate.holder.enterprise
    client = login_client(signing.admin, f"enterprise:{enterprise.pk}", stepped_up=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    found = {}
    for name, path in pages.items():
        text = visible_text(client.get(path).content.decode())
        runs = sorted({run for run in re.findall(r"[\u4e00-\u9fff、]+", text) if any(t in run for t in TERMS)})
        if runs:
            found[name] = runs
    assert not found, found
