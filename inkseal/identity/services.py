"""Identity verification (实名认证): the gate other apps call, and personal verification.

For other apps — seals, certificate purchase, orders — before anything that needs a real name:

    from inkseal.identity.services import require_verified, require_identity_verified

    require_verified(person)             # IdentityUnverified: code "identity_unverified", HTTP 403
    require_enterprise_verified(ent)     # EnterpriseUnverified: code "enterprise_unverified", HTTP 403
    require_identity_verified(identity)  # the person, and the enterprise when acting as one (切换身份)

Both errors are DomainErrors: raised from a view or API handler they become a 403 page or JSON
body with a message telling the user where to verify.

Personal verification here: phone 3-factor with an SMS code (`do_verify_by_phone`; other
document types go to manual review), and face (`do_start_face` → QR code with a one-time phone
link → `do_submit_face_video`). Enterprise verification is in `identity.enterprise_flows`, the
back office's review in `identity.review`. check_* validate; do_* change state and write their
audit row in the same transaction. Access gates (`attempt_for`, `enterprise_for`,
`face_link_for`) answer NotFound for anything that is not the caller's.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Enterprise, EnterpriseState, Membership, Person, VerificationState
from inkseal.accounts.services import set_id_number
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import NotFound, PermissionDenied, RateLimited
from inkseal.identity import documents
from inkseal.identity.attempts import (
    PersonClaim,
    audit,
    cancel_attempt,
    check_attempt_quota,
    check_consent,
    check_person_claim,
    claim_of,
    finish_attempt,
    new_attempt,
)
from inkseal.identity.errors import (
    ConsentRequired,
    EnterpriseUnverified,
    FaceLinkGone,
    IdentityUnverified,
    IdNumberTaken,
    UploadNotVideo,
    UploadRefused,
    UploadTooLarge,
    VerificationInvalid,
    VerificationNotAllowed,
    image_message,
)
from inkseal.identity.imagecheck import CheckedImage, ImageRefused, check_image
from inkseal.identity.liveness import LivenessRefused, VideoUnreadable, probe_video
from inkseal.identity.models import (
    AttemptState,
    FaceLink,
    IdentityDocument,
    IdType,
    Liveness,
    Method,
    VerificationAttempt,
)
from inkseal.identity.providers import face_provider, phone_provider
from inkseal.identity.providers.base import Verdict
from inkseal.identity.states import PERSON
from inkseal.notify.services import send_code, verify_code

log = logging.getLogger(__name__)

VERIFIED_FIELDS = (
    "name",
    "id_type",
    "id_number_enc",
    "id_number_index",
    "id_number_masked",
    "verification_state",
    "verified_at",
)
MAX_FACE_LINKS = 5  # QR codes per face attempt (the first and four renewals)
VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3",)  # WebM/Matroska; MP4/MOV are recognised by their 'ftyp' box


# --- the gate for other apps ---------------------------------------------------------------


def require_verified(person: Person) -> None:
    """Raise IdentityUnverified (code "identity_unverified") unless the person is verified."""
    if not person.is_verified:
        raise IdentityUnverified()


def require_enterprise_verified(enterprise: Enterprise) -> None:
    if enterprise.state != EnterpriseState.VERIFIED:
        raise EnterpriseUnverified(_("企业“%(name)s”尚未完成企业实名认证。") % {"name": enterprise.name})


def require_identity_verified(identity: CurrentIdentity) -> None:
    require_verified(identity.person)
    if identity.enterprise is not None:
        require_enterprise_verified(identity.enterprise)


# --- access gates ----------------------------------------------------------------------------


def _admin_enterprises(person: Person) -> Q:
    return Q(
        enterprise__in=Enterprise.objects.filter(memberships__person=person, memberships__role=Membership.Role.ADMIN)
    )


def attempt_for(person: Person, attempt_id: int) -> VerificationAttempt:
    """The person's own attempt, or one of an enterprise they administer; NotFound otherwise."""
    attempt = (
        VerificationAttempt.objects.select_related("person", "enterprise")
        .filter(Q(person=person, enterprise__isnull=True) | _admin_enterprises(person), pk=attempt_id)
        .first()
    )
    if attempt is None:
        raise NotFound(_("认证记录不存在。"))
    return attempt


def enterprise_for(person: Person, enterprise_id: int) -> tuple[Enterprise, Membership]:
    membership = Membership.objects.select_related("enterprise").filter(person=person, enterprise_id=enterprise_id)
    found = membership.first()
    if found is None:
        raise NotFound(_("企业不存在。"))
    return found.enterprise, found


def admin_enterprise_for(person: Person, enterprise_id: int) -> Enterprise:
    enterprise, membership = enterprise_for(person, enterprise_id)
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied(_("只有企业管理员（经办人）可以办理企业实名认证。"))
    return enterprise


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def face_link_for(token: str) -> FaceLink:
    """The live phone link for `token`: NotFound if unknown, FaceLinkGone if used or expired."""
    link = FaceLink.objects.select_related("attempt__person").filter(token_hash=_token_hash(token[:128])).first()
    if link is None:
        raise NotFound(_("链接无效，请在电脑上重新生成二维码。"))
    if link.used_at is not None:
        raise FaceLinkGone(_("该链接已使用。如需重新认证，请在电脑上重新生成二维码。"))
    if link.expires_at <= timezone.now() or not link.attempt.is_pending:
        raise FaceLinkGone(_("二维码已过期，请在电脑上重新生成二维码后再扫码。"))
    return link


# --- shared checks -----------------------------------------------------------------------------


def check_person_can_start(person: Person) -> None:
    if person.is_verified:
        raise VerificationNotAllowed(_("您已完成个人实名认证，无需重复认证。"))
    if person.verification_state == VerificationState.PENDING:
        raise VerificationNotAllowed(_("您的实名认证资料正在人工审核中，请耐心等待审核结果。"))


def check_id_number_free(person: Person, claim: PersonClaim) -> None:
    taken = Person.objects.filter(id_number_index=claim.index, verification_state=VerificationState.VERIFIED)
    if taken.exclude(pk=person.pk).exists():
        raise IdNumberTaken()


def check_can_verify_person(person: Person, claim: PersonClaim) -> None:
    check_person_can_start(person)
    check_id_number_free(person, claim)
    check_attempt_quota(person, claim.index)


def _locked(person: Person) -> Person:
    return Person.objects.select_for_update(no_key=True).get(pk=person.pk)


def mark_person_verified(person: Person, claim: PersonClaim) -> None:
    """The claim becomes the person's verified identity. Call inside the attempt's transaction."""
    PERSON.check(person, VerificationState.VERIFIED)
    person.name = claim.name
    person.id_type = claim.id_type
    set_id_number(person, claim.id_number)
    PERSON.move(person, VerificationState.VERIFIED)
    person.verified_at = timezone.now()
    person.save(update_fields=[*VERIFIED_FIELDS])


def checked_image(data: bytes | None, label: str) -> CheckedImage:
    """The upload with its measurements, checked once per submit (storing it reuses them)."""
    if not data:
        raise VerificationInvalid(_("请上传%(label)s。") % {"label": label})
    try:
        return CheckedImage(data, check_image(data))
    except ImageRefused as refused:
        raise VerificationInvalid(image_message(label, refused))


def store_image(attempt: VerificationAttempt, kind: str, image: CheckedImage) -> IdentityDocument:
    return documents.store(attempt, kind, image.data, image.facts)


# --- phone 3-factor (and other documents → manual review) -------------------------------------


def send_verification_code(person: Person, *, acting: Acting) -> None:
    """The SMS code for 手机号认证 goes to the account's own phone."""
    check_person_can_start(person)
    check_attempt_quota(person)  # the ID number's quota is checked when it is entered
    send_code(person.phone, "verify", acting.ip)


def do_verify_by_phone(
    person: Person,
    name: str,
    id_type: str,
    id_number: str,
    code: str,
    accepted: list[str],
    *,
    acting: Acting,
    document: bytes | None = None,
) -> VerificationAttempt:
    """手机号认证: name + ID number + the account's phone, proven by an SMS code.

    Resident ID cards go to the phone provider; other document types (with a photo) go to
    manual review in the back office.
    """
    claim = check_person_claim(name, id_type, id_number)
    consents = check_consent(accepted)
    check_can_verify_person(person, claim)
    photo = checked_image(document, _("证件照片")) if claim.id_type != IdType.RESIDENT_ID else None
    verify_code(person.phone, "verify", code.strip())  # a wrong try is counted even though we stop here
    if photo is not None:
        return _submit_document(person, claim, consents, photo, acting=acting)
    provider = phone_provider()
    verdict = provider.verify(claim.name, claim.id_number, person.phone)
    with transaction.atomic():
        person = _locked(person)
        check_person_can_start(person)
        check_id_number_free(person, claim)
        attempt = new_attempt(person, Method.PHONE, provider.name, claim, consents, phone=person.phone)
        finish_attempt(attempt, verdict)
        if verdict.accepted:
            mark_person_verified(person, claim)
        audit(events.IDENTITY_PHONE_OUTCOME[attempt.state], attempt, acting)
    return attempt


def _submit_document(
    person: Person, claim: PersonClaim, consents: dict[str, str], document: CheckedImage, *, acting: Acting
) -> VerificationAttempt:
    with transaction.atomic():
        person = _locked(person)
        check_person_can_start(person)
        attempt = new_attempt(person, Method.DOCUMENT, "manual", claim, consents, phone=person.phone)
        store_image(attempt, IdentityDocument.Kind.PERSON_DOCUMENT, document)
        PERSON.move(person, VerificationState.PENDING)
        person.save(update_fields=["verification_state"])
        audit(events.IDENTITY_DOCUMENT_SUBMITTED, attempt, acting)
    return attempt


# --- face: desktop form → QR code → phone page → video ----------------------------------------


@dataclass(frozen=True)
class FaceStart:
    attempt: VerificationAttempt
    token: str  # goes into the QR code once; only its hash is stored


def _new_face_link(attempt: VerificationAttempt) -> str:
    token = secrets.token_urlsafe(32)
    FaceLink.objects.create(
        attempt=attempt,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + timedelta(seconds=settings.IDENTITY_FACE_LINK_TTL),
    )
    return token


def check_face_request(person: Person, name: str, id_number: str, liveness: str, accepted: list[str]) -> PersonClaim:
    """Everything about the face form except the consent notice (同意/拒绝同意)."""
    claim = check_person_claim(name, IdType.RESIDENT_ID, id_number)
    if liveness not in Liveness.values:
        raise VerificationInvalid(_("请选择认证类型。"), field="liveness")
    check_consent(accepted)
    check_can_verify_person(person, claim)
    return claim


def do_start_face(
    person: Person, name: str, id_number: str, liveness: str, accepted: list[str], *, acting: Acting
) -> FaceStart:
    """人脸认证 after 同意: record the attempt and make the first phone link."""
    claim = check_face_request(person, name, id_number, liveness, accepted)
    consents = check_consent(accepted)
    provider = face_provider()
    with transaction.atomic():
        person = _locked(person)
        check_person_can_start(person)
        for earlier in VerificationAttempt.objects.select_for_update(no_key=True).filter(
            person=person, method=Method.FACE, state=AttemptState.PENDING
        ):
            cancel_attempt(earlier, _("已重新发起人脸认证。"), "superseded")
            audit(events.IDENTITY_FACE_CANCELLED, earlier, acting)
        attempt = new_attempt(
            person, Method.FACE, provider.name, claim, consents, phone=person.phone, details={"liveness": liveness}
        )
        token = _new_face_link(attempt)
        audit(events.IDENTITY_FACE_STARTED, attempt, acting, liveness=liveness)
    return FaceStart(attempt, token)


def record_consent_refused(person: Person, *, acting: Acting) -> None:
    """拒绝同意 on the consent notice: nothing starts; the refusal is logged."""
    record(events.IDENTITY_FACE_CONSENT_REFUSED, **acting.audit())


def do_renew_face_link(person: Person, attempt_id: int, *, acting: Acting) -> FaceStart:
    """A fresh QR code for a pending face attempt; earlier links stop working."""
    with transaction.atomic():
        attempt = attempt_for(person, attempt_id)
        attempt = VerificationAttempt.objects.select_for_update(no_key=True).get(pk=attempt.pk)
        if attempt.method != Method.FACE or attempt.enterprise_id or not attempt.is_pending:
            raise VerificationNotAllowed(_("该认证已结束，请重新发起人脸认证。"))
        if attempt.face_links.count() >= MAX_FACE_LINKS:
            raise RateLimited(_("二维码刷新次数过多，请重新发起人脸认证。"))
        now = timezone.now()
        attempt.face_links.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        token = _new_face_link(attempt)
        audit(events.IDENTITY_FACE_LINK_RENEWED, attempt, acting)
    return FaceStart(attempt, token)


def do_open_face_link(link: FaceLink, *, acting: Acting) -> None:
    """The phone opened the page: the desktop then shows 已扫码."""
    with transaction.atomic():
        if FaceLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=timezone.now()):
            audit(events.IDENTITY_FACE_LINK_OPENED, link.attempt, acting)


def do_refuse_face_link(token: str, *, acting: Acting) -> VerificationAttempt:
    """拒绝同意 on the phone: the attempt ends."""
    link = face_link_for(token)
    with transaction.atomic():
        attempt = VerificationAttempt.objects.select_for_update(no_key=True).get(pk=link.attempt_id)
        if not attempt.is_pending:
            raise FaceLinkGone(_("二维码已过期，请在电脑上重新生成二维码后再扫码。"))
        FaceLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
        cancel_attempt(attempt, _("您已拒绝授权，人脸认证未进行。"), "consent_refused")
        audit(events.IDENTITY_FACE_CONSENT_REFUSED, attempt, acting)
    return attempt


def check_face_video(path: Path, size: int) -> None:
    if size > settings.IDENTITY_FACE_VIDEO_MAX_BYTES:
        limit = settings.IDENTITY_FACE_VIDEO_MAX_BYTES // (1024 * 1024)
        raise UploadTooLarge(_("视频文件过大（上限%(mb)dMB），请录制2~3秒的视频。") % {"mb": limit})
    with path.open("rb") as handle:
        head = handle.read(12)
    if size < 1024 or not (head.startswith(VIDEO_MAGIC) or head[4:8] == b"ftyp" or head[8:12] == b"AVI "):
        raise UploadNotVideo(_("上传的文件不是视频，请使用摄像头录制2~3秒人像视频。"))
    try:
        probe_video(path)
    except LivenessRefused:
        raise UploadRefused(str(VideoUnreadable().message))


def _video_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _face_verdict(attempt: VerificationAttempt, video: Path) -> Verdict:
    claim = claim_of(attempt)
    try:
        return face_provider().verify(claim.name, claim.id_number, video, attempt.details.get("liveness", "silent"))
    except Exception:  # a provider failure must end the attempt with a reason, not leave it hanging
        log.exception("face provider failed for attempt %s", attempt.reference)
        return Verdict.refuse("provider_error", _("认证服务暂时不可用，请稍后重新认证。"))


def do_submit_face_video(token: str, video: Path, size: int, consent: bool, *, acting: Acting) -> VerificationAttempt:
    """The phone's recording: checked, then the link is spent and the provider decides.

    Bad uploads (not a video, too large, undecodable) are refused before the link is spent,
    so the person can record again on the same page.
    """
    link = face_link_for(token)
    if not consent:
        raise ConsentRequired(_("请先阅读提示信息并点击同意。"))
    check_face_video(video, size)
    now = timezone.now()
    # One upload per link, even when two arrive at once: the conditional update decides.
    if not FaceLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now):
        raise FaceLinkGone(_("该链接已使用。如需重新认证，请在电脑上重新生成二维码。"))
    verdict = _face_verdict(link.attempt, video)
    with transaction.atomic():
        person = _locked(link.attempt.person)
        attempt = VerificationAttempt.objects.select_for_update(no_key=True).get(pk=link.attempt_id)
        if not attempt.is_pending:
            raise FaceLinkGone(_("该认证已结束，请在电脑上重新发起人脸认证。"))
        claim = claim_of(attempt)
        if verdict.accepted:
            verdict = _still_verifiable(person, claim, verdict)
        finish_attempt(attempt, verdict, video={"sha256": _video_digest(video), "bytes": size})
        if verdict.accepted:
            mark_person_verified(person, claim)
        audit(events.IDENTITY_FACE_OUTCOME[attempt.state], attempt, acting)
    return attempt


def _still_verifiable(person: Person, claim: PersonClaim, verdict: Verdict) -> Verdict:
    """Between the QR code and the video, the account or the ID may have been verified elsewhere."""
    try:
        check_person_can_start(person)
        check_id_number_free(person, claim)
    except VerificationNotAllowed as refused:
        return Verdict.refuse(refused.code, str(refused.message), verdict.reference, verdict.details)
    return verdict


@dataclass(frozen=True)
class FaceProgress:
    """What the desktop page shows while it polls."""

    stage: str  # waiting | scanned | uploading | expired | succeeded | failed | cancelled
    attempt: VerificationAttempt

    @property
    def polling(self) -> bool:
        return self.stage in {"waiting", "scanned", "uploading"}


def face_progress(attempt: VerificationAttempt) -> FaceProgress:
    if not attempt.is_pending:
        return FaceProgress(attempt.state, attempt)
    link = attempt.face_links.order_by("-created_at", "-id").first()
    if link is None:
        return FaceProgress("expired", attempt)
    if link.used_at is not None:
        return FaceProgress("uploading", attempt)
    if link.expires_at <= timezone.now():
        return FaceProgress("expired", attempt)
    return FaceProgress("scanned" if link.opened_at else "waiting", attempt)


def personal_attempts(person: Person) -> list[VerificationAttempt]:
    return list(VerificationAttempt.objects.filter(person=person, enterprise__isnull=True)[:20])
