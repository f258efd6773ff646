"""证书授权: add, list (交易平台名称, 被授权人, 状态, 期限), revoke; only administrators; scoped."""

from __future__ import annotations

import pytest

from inkseal.pki import sections
from inkseal.platforms.models import CertificateAuthorization
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing

pytestmark = pytest.mark.django_db


def test_add_list_revoke(signing: Signing) -> None:
    enterprise = signing.certificate.holder.enterprise
    client = login_client(signing.admin, f"enterprise:{enterprise.pk}")
    url = f"/certificates/{signing.certificate.pk}/authorisations/"
    response = client.post(
        url,
        {
            "platform": signing.platform.pk,
            "grantee_name": "赵六",
            "grantee_phone": "13700001111",
            "valid_from": "2024-01-01",
            "valid_until": "2099-01-01",
        },
    )
    assert response.status_code == 302
    added = CertificateAuthorization.objects.get(grantee_name="赵六")
    page = client.get(url).content.decode()
    assert "赵六" in page and "测试交易平台" in page and "有效" in page
    rows = sections.authorisations(signing.certificate)
    assert {"platform", "grantee", "state", "term"} <= rows[0].keys()
    assert sections.add_authorisation_url(signing.certificate) == url
    client.post(f"{url}{added.pk}/revoke")
    added.refresh_from_db()
    assert added.revoked_at is not None
    assert "已撤销" in client.get(url).content.decode()


def test_bad_phone_refused_and_others_404(signing: Signing, make_person: object) -> None:
    enterprise = signing.certificate.holder.enterprise
    client = login_client(signing.admin, f"enterprise:{enterprise.pk}")
    url = f"/certificates/{signing.certificate.pk}/authorisations/"
    client.post(
        url,
        {
            "platform": signing.platform.pk,
            "grantee_name": "赵六",
            "grantee_phone": "123",
            "valid_from": "2024-01-01",
            "valid_until": "2099-01-01",
        },
    )
    assert not CertificateAuthorization.objects.filter(grantee_name="赵六").exists()
    stranger = login_client(make_person())  # type: ignore[operator]
    assert stranger.get(url).status_code == 404
