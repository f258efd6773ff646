"""The confirm page's way back to the trading platform: the platform's home or the task's return_url,
which must be on the platform's registered origin."""

from __future__ import annotations

import pytest

from inkseal.signing.models import SignTask
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, sign_through_api, text_pdf

pytestmark = pytest.mark.django_db(transaction=False)


def _confirm_page(signing: Signing, task: SignTask, status: int = 200) -> str:
    """The confirm page of `task`: 200 while it waits, 409 once the link has been used."""
    from inkseal.signing.tasks.confirm import confirm_token as token_of

    response = signing.client.get(f"/sign/confirm/{token_of(task)}")
    assert response.status_code == status, response.status_code
    return response.content.decode()


def test_confirm_page_links_back_to_the_platform_home(signing: Signing) -> None:
    signing.platform.oidc_issuer = "https://bids.example.com/oidc"
    signing.platform.save()
    created = signing.create()
    task = SignTask.objects.get(public_id=created.json()["id"])
    page = _confirm_page(signing, task)
    assert 'id="return-link"' in page and 'href="https://bids.example.com/"' in page and "返回交易平台" in page


def test_confirm_page_links_to_the_tasks_return_url_and_after_signing(signing: Signing) -> None:
    signing.platform.callback_url = "https://bids.example.com/signing/callback"
    signing.platform.save()
    spec = signing.spec(return_url="https://bids.example.com/bids/42?tab=signed")
    sign_through_api(signing, [("bid.pdf", text_pdf())], spec)
    task = SignTask.objects.get()
    # the link stays after signing: the used confirm link shows it with the reason
    page = _confirm_page(signing, task, status=409)
    assert 'href="https://bids.example.com/bids/42?tab=signed"' in page and "返回交易平台" in page


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.net/bids/42",  # another origin
        "http://bids.example.com/bids/42",  # another scheme
        "https://bids.example.com:8443/bids",  # another port
        "javascript:alert(1)",
        "//evil.example.net/",
        "https://bids.example.com@evil.example.net/",
        "https://bids.example.com\\@evil.example.net/",
        "https://bids.example.com/ x",
    ],
)
def test_return_url_must_be_on_the_platforms_registered_origin(signing: Signing, url: str) -> None:
    signing.platform.callback_url = "https://bids.example.com/signing/callback"
    signing.platform.save()
    response = signing.create(spec=signing.spec(return_url=url))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "spec_invalid"
    assert SignTask.objects.count() == 0


def test_no_return_link_without_a_registered_address(signing: Signing) -> None:
    signing.platform.callback_url = ""
    signing.platform.save()
    created = signing.create(spec=signing.spec(callback_url=""))
    task = SignTask.objects.get(public_id=created.json()["id"])
    assert 'id="return-link"' not in _confirm_page(signing, task)
