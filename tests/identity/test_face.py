"""人脸认证 end to end through HTTP: form → consent notice → QR code → phone page → video → result
on both pages. Videos are built in the test from a public-domain portrait (see media.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from inkseal.accounts.models import VerificationState
from inkseal.audit.models import AuditEntry
from inkseal.identity.models import AttemptState, FaceLink, VerificationAttempt
from inkseal.identity.providers.sandbox import reserved_id_number
from tests.conftest import login_client
from tests.identity.conftest import AGREEMENTS, id_number
from tests.identity.media import video_bytes

pytestmark = pytest.mark.django_db


def start_face(client: Client, number: str, liveness: str = "silent", **extra: object):  # type: ignore[no-untyped-def]
    data = {"name": "刘婧妍", "id_number": number, "liveness": liveness, "agreements": AGREEMENTS, **extra}
    return client.post("/identity/face", data)


def qr_link(page: str) -> str:
    return re.search(r'id="open-h5"[^>]*|href="(http://testserver/h5/face/[^"]+)"', page).group(1)  # type: ignore[union-attr]


def begin(client: Client, number: str, liveness: str = "silent") -> tuple[VerificationAttempt, str]:
    response = start_face(client, number, liveness, decision="agree")
    assert response.status_code == 200
    page = response.content.decode()
    assert "请使用微信扫一扫验证" in page and "<svg" in page
    match = re.search(r'href="http://testserver(/h5/face/[A-Za-z0-9_-]+)"', page)
    assert match
    return VerificationAttempt.objects.get(), match.group(1)


def upload(path: str, data: bytes, name: str = "face.webm", consent: str = "agree"):  # type: ignore[no-untyped-def]
    return Client().post(
        f"{path}/video",
        {"video": SimpleUploadedFile(name, data, "video/webm"), "consent": consent},
        HTTP_ACCEPT="application/json",
    )


def status(client: Client, attempt: VerificationAttempt) -> str:
    response = client.get(f"/identity/face/{attempt.pk}/status", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_form_shows_masked_phone_and_asks_for_consent_before_the_qr_code(unverified):
    client = login_client(unverified)
    form = client.get("/identity/face").content.decode()
    assert "186****0996" in form and "18600000996" not in form
    for text in ("H5静默", "H5眨眼", "电子认证服务协议", "隐私协议", "居民身份证"):
        assert text in form
    notice = start_face(client, id_number()).content.decode()
    assert "为获取身份认证服务，您同意授权" in notice and "人脸图像信息" in notice
    assert "同意" in notice and "拒绝同意" in notice
    assert not VerificationAttempt.objects.exists()


def test_refusing_consent_starts_nothing(unverified):
    response = start_face(login_client(unverified), id_number(), decision="refuse")
    assert response.status_code == 200 and "您已拒绝授权" in response.content.decode()
    assert not VerificationAttempt.objects.exists()
    assert AuditEntry.objects.filter(event="identity.face.consent_refused").exists()


def test_agreements_must_all_be_accepted(unverified):
    response = start_face(login_client(unverified), id_number(), agreements=["service"], decision="agree")
    assert response.status_code == 400
    assert "请阅读并同意《隐私协议》《个人信息处理授权书》" in response.content.decode()
    assert not VerificationAttempt.objects.exists()


def test_a_malformed_id_number_is_refused_with_the_reason(unverified):
    response = start_face(login_client(unverified), "430524199003080011", decision="agree")
    assert response.status_code == 400
    assert "校验位应为" in response.content.decode()
    assert not VerificationAttempt.objects.exists()


def test_silent_face_video_verifies_the_person_and_both_pages_say_so(unverified, tmp_path):
    client = login_client(unverified)
    attempt, link = begin(client, id_number(3))
    assert FaceLink.objects.get().token_hash not in link  # only the hash is stored
    assert 'data-stage="waiting"' in status(client, attempt)

    phone_page = Client().get(link)
    assert phone_page.status_code == 200
    text = phone_page.content.decode()
    assert "录制规范" in text and "刘*妍" in text and "430*****" in text and 'capture="user"' in text
    assert 'data-stage="scanned"' in status(client, attempt)

    answer = upload(link, video_bytes(tmp_path, "face"))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"succeeded": True, "message": "认证成功", "state": "succeeded"}
    final = status(client, attempt)
    assert "认证成功" in final and "hx-trigger" not in final  # polling stops

    unverified.refresh_from_db()
    assert unverified.verification_state == VerificationState.VERIFIED
    assert unverified.id_number_masked == "430*****" + id_number(3)[-3:]
    attempt.refresh_from_db()
    assert attempt.consents == {"service": "2025.1", "privacy": "2025.1", "biometrics": "2025.1"}
    assert attempt.details["findings"]["single_face_frames"] == attempt.details["findings"]["frames"]
    assert id_number(3) not in attempt.id_number_enc
    assert AuditEntry.objects.filter(event="identity.face.succeeded", actor_id=unverified.account_id).exists()


def test_blink_liveness_needs_a_blink(unverified, tmp_path):
    client = login_client(unverified)
    attempt, link = begin(client, id_number(4), liveness="blink")
    answer = upload(link, video_bytes(tmp_path, "face"))
    assert answer.json()["succeeded"] is False
    assert "未检测到眨眼" in answer.json()["message"]
    assert "未检测到眨眼" in status(client, attempt)
    unverified.refresh_from_db()
    assert not unverified.is_verified

    VerificationAttempt.objects.all().delete()
    attempt, link = begin(client, id_number(4), liveness="blink")
    assert upload(link, video_bytes(tmp_path, "blink")).json()["succeeded"] is True


def test_a_video_without_a_face_fails_with_the_reason(unverified, tmp_path):
    client = login_client(unverified)
    attempt, link = begin(client, id_number(5))
    answer = upload(link, video_bytes(tmp_path, "empty"))
    assert answer.status_code == 200 and answer.json()["succeeded"] is False
    assert "未能在视频中持续检测到人脸" in answer.json()["message"]
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FAILED and attempt.reason_code == "no_face"
    assert "认证失败" in status(client, attempt)


@pytest.mark.parametrize(("seconds", "word"), [(1.0, "太短"), (5.0, "太长")])
def test_duration_must_be_two_to_three_seconds(unverified, tmp_path, seconds, word):
    _, link = begin(login_client(unverified), id_number(6))
    answer = upload(link, video_bytes(tmp_path, "face", seconds=seconds, fps=10))
    assert answer.json()["succeeded"] is False and word in answer.json()["message"]


def test_two_faces_are_refused(unverified, tmp_path):
    _, link = begin(login_client(unverified), id_number(8))
    assert "多张人脸" in upload(link, video_bytes(tmp_path, "two", fps=10)).json()["message"]


def test_reserved_id_numbers_simulate_a_provider_refusal(unverified, tmp_path):
    _, link = begin(login_client(unverified), reserved_id_number())
    answer = upload(link, video_bytes(tmp_path, "face", fps=10)).json()
    assert answer["succeeded"] is False and "人脸比对未通过" in answer["message"]


def test_the_link_is_single_use(unverified, tmp_path):
    _, link = begin(login_client(unverified), id_number(9))
    data = video_bytes(tmp_path, "empty", fps=10)
    assert upload(link, data).status_code == 200
    again = upload(link, data)
    assert again.status_code == 410 and again.json()["error"] == "face_link_gone"
    assert Client().get(link).status_code == 410
    assert VerificationAttempt.objects.get().state == AttemptState.FAILED


def test_an_expired_link_is_refused_and_can_be_renewed(unverified, tmp_path):
    client = login_client(unverified)
    attempt, link = begin(client, id_number(10))
    FaceLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "已过期" in Client().get(link).content.decode()
    assert upload(link, video_bytes(tmp_path, "face", fps=10)).status_code == 410
    assert 'data-stage="expired"' in status(client, attempt)

    renewed = client.post(f"/identity/face/{attempt.pk}/qrcode")
    new_link = re.search(r'href="http://testserver(/h5/face/[A-Za-z0-9_-]+)"', renewed.content.decode()).group(1)
    assert new_link != link
    assert upload(new_link, video_bytes(tmp_path, "face", fps=10)).json()["succeeded"] is True


def test_unknown_tokens_are_404(unverified):
    assert Client().get("/h5/face/not-a-real-token").status_code == 404
    assert upload("/h5/face/not-a-real-token", b"x" * 2000).status_code == 404


def test_bad_uploads_change_nothing_and_keep_the_link(unverified, tmp_path, settings):
    _, link = begin(login_client(unverified), id_number(11))
    not_video = upload(link, b"%PDF-1.7\n" + b"0" * 4000, name="face.pdf")
    assert not_video.status_code == 415 and "不是视频" in not_video.json()["message"]
    garbage = upload(link, b"\x1a\x45\xdf\xa3" + b"\x00" * 5000)
    assert garbage.status_code == 400 and "无法解析" in garbage.json()["message"]
    no_consent = upload(link, video_bytes(tmp_path, "face", fps=10), consent="")
    assert no_consent.status_code == 400 and no_consent.json()["error"] == "consent_required"
    settings.IDENTITY_FACE_VIDEO_MAX_BYTES = 3000
    too_big = upload(link, b"\x1a\x45\xdf\xa3" + b"\x00" * 5000)
    assert too_big.status_code == 413
    missing = Client().post(f"{link}/video", {"consent": "agree"}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 400
    link_row = FaceLink.objects.get()
    assert link_row.used_at is None and VerificationAttempt.objects.get().state == AttemptState.PENDING


def test_refusing_on_the_phone_cancels_the_attempt(unverified):
    client = login_client(unverified)
    attempt, link = begin(client, id_number(12))
    response = Client().post(f"{link}/refuse")
    assert response.status_code == 200 and "拒绝授权" in response.content.decode()
    assert "认证已取消" in status(client, attempt)


def test_another_persons_attempt_is_not_found(unverified, make_person):
    attempt, _ = begin(login_client(unverified), id_number(13))
    stranger = login_client(make_person())
    for url in (f"/identity/face/{attempt.pk}", f"/identity/face/{attempt.pk}/status"):
        assert stranger.get(url).status_code == 404
    assert stranger.post(f"/identity/face/{attempt.pk}/qrcode").status_code == 404


def test_starting_again_supersedes_the_pending_attempt(unverified):
    client = login_client(unverified)
    first, first_link = begin(client, id_number(14))
    start_face(client, id_number(14), decision="agree")
    first.refresh_from_db()
    assert first.state == AttemptState.CANCELLED
    assert Client().get(first_link).status_code == 410


def test_verified_people_cannot_verify_again(verified):
    response = start_face(login_client(verified), id_number(15), decision="agree")
    assert response.status_code == 409 and "无需重复认证" in response.content.decode()


def test_an_id_number_verified_by_another_account_is_refused(unverified, verified):
    response = start_face(login_client(unverified), id_number(7), decision="agree")
    assert response.status_code == 409 and "另一个帐号" in response.content.decode()


def test_attempts_per_person_are_limited(unverified, settings):
    """Attempts that reached the provider count (starts it never saw do not: test_attempt_limits)."""
    from tests.identity.test_attempt_limits import past_attempts

    settings.IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY = 2
    client = login_client(unverified)
    past_attempts(unverified, id_number(20), failed=1, name="刘婧妍")
    assert start_face(client, id_number(21), decision="agree").status_code == 200
    past_attempts(unverified, id_number(21), failed=1, name="刘婧妍")
    third = start_face(client, id_number(22), decision="agree")
    assert third.status_code == 429 and "次数已达上限" in third.content.decode()


def test_attempts_per_id_number_are_limited_across_accounts(make_person, settings):
    from tests.identity.test_attempt_limits import past_attempts

    settings.IDENTITY_ATTEMPTS_PER_ID_PER_DAY = 1
    first = make_person()
    assert start_face(login_client(first), id_number(30), decision="agree").status_code == 200
    past_attempts(first, id_number(30), failed=1)
    other = start_face(login_client(make_person()), id_number(30), decision="agree")
    assert other.status_code == 429 and "该证件号" in other.content.decode()
