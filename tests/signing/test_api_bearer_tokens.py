"""Bearer tokens of the API stop working when they expire, when the platform or client is disabled, and
when the client secret is rotated."""

from __future__ import annotations

import pytest

from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing

pytestmark = pytest.mark.django_db(transaction=False)


def test_bearer_tokens_stop_working_when_expired_disabled_or_rotated(signing: Signing) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from inkseal.audit.services import Actor
    from inkseal.core.acting import Acting
    from inkseal.platforms.models import AccessToken, ApiClient
    from inkseal.platforms.services import do_rotate_client_secret

    def status(token: str) -> int:
        return int(signing.client.get("/api/v1/sign-tasks/nothing", HTTP_AUTHORIZATION=f"Bearer {token}").status_code)

    live = signing.token()
    assert status(live) == 404  # authenticated: the task does not exist
    expired = signing.token()
    newest = AccessToken.objects.order_by("-pk").values_list("pk", flat=True)[0]
    AccessToken.objects.filter(pk=newest).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert status(expired) == 401 and status(live) == 404
    signing.platform.enabled = False
    signing.platform.save()
    assert status(live) == 401
    signing.platform.enabled = True
    signing.platform.save()
    client = ApiClient.objects.get(client_id=signing.client_id)
    ApiClient.objects.filter(pk=client.pk).update(enabled=False)
    assert status(live) == 401
    ApiClient.objects.filter(pk=client.pk).update(enabled=True)
    assert status(live) == 404
    do_rotate_client_secret(client, acting=Acting(Actor("system", "", "test")))
    assert status(live) == 401
