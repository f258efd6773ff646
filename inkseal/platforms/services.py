"""Trading platforms: SSO secrets, signing-API client credentials and tokens, certificate authorisations."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts.models import Person, VerificationState
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting, Actor
from inkseal.core.crypto import decrypt, encrypt
from inkseal.core.errors import DomainError, NotFound, RateLimited
from inkseal.core.idnumbers import is_valid_phone
from inkseal.core.masking import mask_phone
from inkseal.notify.services import InvalidPhone, send_code, verify_code
from inkseal.pki.models import Certificate
from inkseal.platforms.models import (
    AccessToken,
    ApiClient,
    CertificateAuthorization,
    PlatformLink,
    TradingPlatform,
)


def _purpose(platform: TradingPlatform, what: str) -> str:
    return f"platform:{platform.code}:{what}"


def set_ticket_secret(platform: TradingPlatform, secret: str) -> None:
    platform.ticket_secret_enc = encrypt(secret, _purpose(platform, "ticket")) if secret else ""


def ticket_secret(platform: TradingPlatform) -> str:
    return decrypt(platform.ticket_secret_enc, _purpose(platform, "ticket")) if platform.ticket_secret_enc else ""


def set_oidc_client_secret(platform: TradingPlatform, secret: str) -> None:
    platform.oidc_client_secret_enc = encrypt(secret, _purpose(platform, "oidc")) if secret else ""


def oidc_client_secret(platform: TradingPlatform) -> str:
    if not platform.oidc_client_secret_enc:
        return ""
    return decrypt(platform.oidc_client_secret_enc, _purpose(platform, "oidc"))


def platform_by_code(code: str) -> TradingPlatform | None:
    return TradingPlatform.objects.filter(code=code, enabled=True).first()


# --- signing API credentials (OAuth 2.0 client credentials) --------------------------------------

TOKEN_SECONDS = 900


class InvalidClient(DomainError):
    code = "invalid_client"
    status = 401
    default_message = gettext_lazy("client_id 或 client_secret 错误。")


class InvalidToken(DomainError):
    code = "invalid_token"
    status = 401
    default_message = gettext_lazy("访问令牌无效或已过期。")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _callback_purpose(client: ApiClient) -> str:
    return f"api-client:{client.client_id}:callback"


def callback_secret(client: ApiClient) -> str:
    return decrypt(client.callback_secret_enc, _callback_purpose(client)) if client.callback_secret_enc else ""


def do_create_api_client(
    platform: TradingPlatform,
    *,
    acting: Acting,
    client_id: str | None = None,
    secret: str | None = None,
    callback_key: str | None = None,
) -> tuple[ApiClient, str]:
    """New client credentials; returns the client and its secret (shown once, stored hashed)."""
    secret = secret or secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient(platform=platform, client_id=client_id or f"{platform.code}-{secrets.token_hex(6)}")
        client.secret_hash = _sha256(secret)
        client.callback_secret_enc = encrypt(callback_key or secrets.token_urlsafe(32), _callback_purpose(client))
        client.save()
        record(
            events.PLATFORM_API_CLIENT_CREATE,
            **acting.audit(),
            target=f"platform:{platform.pk}",
            data={"client": client.client_id},
        )
    return client, secret


def do_rotate_client_secret(client: ApiClient, *, acting: Acting) -> str:
    """A new secret; the old one and every token issued with it stop working at once."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update(no_key=True).get(pk=client.pk)
        locked.secret_hash = _sha256(secret)
        locked.rotated_at = timezone.now()
        locked.save(update_fields=["secret_hash", "rotated_at"])
        locked.tokens.all().delete()
        record(
            events.PLATFORM_API_CLIENT_ROTATE,
            **acting.audit(),
            target=f"platform:{locked.platform_id}",
            data={"client": locked.client_id},
        )
    client.secret_hash, client.rotated_at = locked.secret_hash, locked.rotated_at
    return secret


def set_client_secret(client: ApiClient, secret: str) -> None:
    """Demo data: a known secret (kept in var/secrets)."""
    client.secret_hash = _sha256(secret)


def do_issue_token(client_id: str, client_secret: str) -> tuple[str, int]:
    """(bearer token, lifetime in seconds) for valid, enabled credentials; InvalidClient otherwise."""
    client = ApiClient.objects.select_related("platform").filter(client_id=client_id).first()
    if (
        client is None
        or not client.enabled
        or not client.platform.enabled
        or not hmac.compare_digest(client.secret_hash, _sha256(client_secret))
    ):
        raise InvalidClient(_("client_id 或 client_secret 错误。"))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    AccessToken.objects.filter(client=client, expires_at__lt=now).delete()
    AccessToken.objects.create(
        client=client, token_hash=_sha256(token), expires_at=now + timedelta(seconds=TOKEN_SECONDS)
    )
    return token, TOKEN_SECONDS


def platform_for_token(token: str) -> TradingPlatform:
    """The platform a live bearer token belongs to; InvalidToken otherwise."""
    # one row at most (token_hash is unique), the platform's columns only
    platforms = TradingPlatform.objects.filter(
        enabled=True,
        api_clients__enabled=True,
        api_clients__tokens__token_hash=_sha256(token),
        api_clients__tokens__expires_at__gt=timezone.now(),
    )
    platform = next(iter(platforms.order_by()[:1]), None)
    if platform is None:
        raise InvalidToken(_("访问令牌无效或已过期。"))
    return platform


def api_client_of(platform: TradingPlatform) -> ApiClient | None:
    return platform.api_clients.filter(enabled=True).order_by("-created_at").first()


# --- certificate authorisations (证书授权) -----------------------------------------------------


class AuthorizationInvalid(DomainError):
    code = "authorization_invalid"
    default_message = gettext_lazy("证书授权信息有误，请检查后重新提交。")


class NotAuthorized(DomainError):
    code = "certificate_not_authorized"
    status = 403
    default_message = gettext_lazy("该证书未授权给本交易平台的这位被授权人，或授权已过期、已撤销。")


def check_authorization_input(name: str, phone: str, valid_from: datetime, valid_until: datetime) -> tuple[str, str]:
    name, phone = name.strip(), phone.strip()
    if not 1 <= len(name) <= 64:
        raise AuthorizationInvalid(_("请填写被授权人姓名。"))
    if not is_valid_phone(phone):
        raise AuthorizationInvalid(_("请输入被授权人正确的11位手机号。"))
    if valid_until <= valid_from:
        raise AuthorizationInvalid(_("授权到期时间须晚于开始时间。"))
    return name, phone


class AuthorizationPending(DomainError):
    code = "authorization_pending"
    status = 403
    default_message = gettext_lazy("该证书授权尚待被授权人确认手机号（短信验证码），确认后方可发起签章。")


# How long the link in the authorised person's SMS stays usable (the code itself lives 5 minutes;
# the page sends a new one).
CONFIRM_LINK_DAYS = 7


def _grantee_is_verified_user(name: str, phone: str) -> bool:
    """The authorised person already proved this phone to us (a verified user of it, same name)."""
    return Person.objects.filter(phone=phone, name=name, verification_state=VerificationState.VERIFIED).exists()


def do_authorize_certificate(
    certificate: Certificate,
    platform: TradingPlatform,
    *,
    grantee_name: str,
    grantee_phone: str,
    valid_from: datetime,
    valid_until: datetime,
    acting: Acting,
    confirmed_by: str = "",
) -> CertificateAuthorization:
    """添加授权: the certificate (usable, cloud, signing) may be used on `platform` by the named person.

    Active at once only when the person is a verified user of that phone under that name (or the
    caller carries an earlier proof, `confirmed_by`, as renewal does); otherwise pending (待确认)
    until the person enters the code sent to the phone (`do_confirm_authorization`)."""
    name, phone = check_authorization_input(grantee_name, grantee_phone, valid_from, valid_until)
    token = ""
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        if locked.revoked_at is not None or locked.not_after < timezone.now():
            raise AuthorizationInvalid(_("已吊销或已过期的证书不能授权。"))
        if locked.usage != Certificate.Usage.SIGNING:
            raise AuthorizationInvalid(_("加密证书不能授权签章，请授权对应的签名证书。"))
        if not platform.enabled:
            raise AuthorizationInvalid(_("该交易平台已停用。"))
        proof = confirmed_by or ("verified_user" if _grantee_is_verified_user(name, phone) else "")
        authorization = CertificateAuthorization(
            certificate=locked,
            platform=platform,
            grantee_name=name,
            grantee_phone=phone,
            valid_from=valid_from,
            valid_until=min(valid_until, locked.not_after),
            created_by=acting.actor.label,
            confirmed_at=timezone.now() if proof else None,
            confirmed_by=proof,
        )
        if not proof:
            token = secrets.token_urlsafe(24)
            authorization.confirm_token_hash = _sha256(token)
        authorization.save()
        record(
            events.CERTIFICATE_AUTHORIZE,
            **acting.audit(),
            target=f"certificate:{locked.pk}",
            data={
                "serial": locked.serial,
                "platform": platform.code,
                "grantee": name,
                "phone": mask_phone(phone),
                "authorization": authorization.pk,
                "confirmed_by": proof or "pending",
            },
        )
    if token:
        _send_confirm_code_quietly(authorization, token, acting.ip)
    return authorization


def confirm_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("platforms:authorization_confirm", args=[token])


def _confirm_purpose(authorization: CertificateAuthorization) -> str:
    return f"grant:{authorization.pk}"


def send_authorization_code(authorization: CertificateAuthorization, token: str, ip: str = "") -> None:
    """The code (and the confirmation link) to the authorised person's phone; rate-limited."""
    holder = str(authorization.certificate.holder)
    context = _("%(holder)s授权您在交易平台“%(platform)s”使用其证书签章，请打开 %(url)s 输入验证码确认；") % {
        "holder": holder,
        "platform": authorization.platform.name,
        "url": confirm_url(token),
    }
    send_code(authorization.grantee_phone, _confirm_purpose(authorization), ip, context=str(context))


def _send_confirm_code_quietly(authorization: CertificateAuthorization, token: str, ip: str) -> None:
    # After the authorisation is saved: a rate-limited phone leaves it pending; the holder sends again.
    try:
        send_authorization_code(authorization, token, ip)
    except (RateLimited, InvalidPhone):
        pass


def do_resend_authorization_code(authorization: CertificateAuthorization, *, acting: Acting) -> None:
    """A new link and code for a pending authorisation (the holder's 重新发送)."""
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        locked = CertificateAuthorization.objects.select_for_update(no_key=True).get(pk=authorization.pk)
        if locked.revoked_at is not None or locked.confirmed_at is not None:
            raise AuthorizationInvalid(_("该授权不在待确认状态。"))
        locked.confirm_token_hash = _sha256(token)
        locked.save(update_fields=["confirm_token_hash"])
        record(
            events.CERTIFICATE_AUTHORIZATION_RESEND,
            **acting.audit(),
            target=f"certificate:{locked.certificate_id}",
            data={"authorization": locked.pk, "phone": mask_phone(locked.grantee_phone)},
        )
    send_authorization_code(locked, token, acting.ip)


def pending_authorization_for_token(token: str) -> CertificateAuthorization:
    """The pending authorisation a confirmation link names, or NotFound (used, withdrawn, expired)."""
    now = timezone.now()
    found = (
        CertificateAuthorization.objects.select_related("platform", "certificate__holder")
        .filter(
            confirm_token_hash=_sha256(token or ""),
            confirmed_at__isnull=True,
            revoked_at__isnull=True,
            valid_until__gt=now,
            created_at__gt=now - timedelta(days=CONFIRM_LINK_DAYS),
        )
        .first()
    )
    if not token or found is None:
        raise NotFound(_("授权确认链接无效、已使用、已撤回或已过期。"))
    return found


def send_confirmation_code(token: str, ip: str = "") -> CertificateAuthorization:
    authorization = pending_authorization_for_token(token)
    send_authorization_code(authorization, token, ip)
    return authorization


def do_confirm_authorization(token: str, code: str, *, acting: Acting) -> CertificateAuthorization:
    """The authorised person entered the code sent to the phone: the authorisation becomes active
    (the audit entry names the grantee, whom the code proved, as the actor)."""
    authorization = pending_authorization_for_token(token)

    def confirm() -> None:
        locked = CertificateAuthorization.objects.select_for_update(no_key=True).get(pk=authorization.pk)
        if locked.revoked_at is not None or locked.confirmed_at is not None:
            raise NotFound(_("授权确认链接无效、已使用、已撤回或已过期。"))
        locked.confirmed_at, locked.confirmed_by, locked.confirm_token_hash = timezone.now(), "sms", ""
        locked.save(update_fields=["confirmed_at", "confirmed_by", "confirm_token_hash"])
        record(
            events.CERTIFICATE_AUTHORIZATION_CONFIRM,
            **acting.as_actor(Actor("person", mask_phone(locked.grantee_phone), locked.grantee_name)).audit(),
            target=f"certificate:{locked.certificate_id}",
            data={"authorization": locked.pk, "platform": authorization.platform.code, "method": "sms"},
        )
        authorization.confirmed_at = locked.confirmed_at

    verify_code(authorization.grantee_phone, _confirm_purpose(authorization), code, and_then=confirm)
    return authorization


def do_revoke_authorization(authorization: CertificateAuthorization, *, acting: Acting) -> CertificateAuthorization:
    with transaction.atomic():
        locked = CertificateAuthorization.objects.select_for_update(no_key=True).get(pk=authorization.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record(
                events.CERTIFICATE_AUTHORIZATION_REVOKE,
                **acting.audit(),
                target=f"certificate:{locked.certificate_id}",
                data={"platform": locked.platform.code, "grantee": locked.grantee_name},
            )
    return locked


def authorization_state(authorization: CertificateAuthorization, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if authorization.revoked_at is not None:
        return str(_("已撤销"))
    if authorization.confirmed_at is None:
        return str(_("待确认"))
    if now < authorization.valid_from:
        return str(_("未生效"))
    if now > authorization.valid_until:
        return str(_("已过期"))
    return str(_("有效"))


def _active_authorizations(platform: TradingPlatform, phone: str, at: datetime) -> QuerySet[CertificateAuthorization]:
    """Authorisations letting `phone` confirm signatures on `platform` at `at`, longest-lived first."""
    return CertificateAuthorization.objects.filter(
        platform=platform,
        grantee_phone=phone,
        revoked_at__isnull=True,
        confirmed_at__isnull=False,
        valid_from__lte=at,
        valid_until__gte=at,
    ).order_by("-valid_until")


def active_authorization(
    certificate: Certificate, platform: TradingPlatform, phone: str, at: datetime | None = None
) -> CertificateAuthorization:
    """The authorisation that lets `phone` confirm signatures with `certificate` on `platform` now."""
    found = _active_authorizations(platform, phone, at or timezone.now()).filter(certificate=certificate).first()
    if found is None:
        raise NotAuthorized(_("该证书未授权给本交易平台的这位被授权人，或授权已过期、已撤销。"))
    return found


def authorization_by_serial(
    serial: str, platform: TradingPlatform, phone: str, at: datetime | None = None
) -> CertificateAuthorization:
    """active_authorization for our certificate `serial`, with the certificate (and its renewal, for
    the superseded check) in the same query; the same refusal whether or not the serial exists."""
    found = (
        _active_authorizations(platform, phone, at or timezone.now())
        .filter(certificate__serial=serial, certificate__issuer__isnull=False)
        .select_related("certificate__renewed_by")
        .first()
    )
    if found is None:
        _refuse_pending(serial, platform, phone, at or timezone.now())
        raise NotAuthorized(_("该证书未授权给本交易平台的这位被授权人，或授权已过期、已撤销。"))
    return found


def authorization_by_holder(
    uscc: str, platform: TradingPlatform, phone: str, at: datetime | None = None
) -> CertificateAuthorization:
    """The authorisation for `phone` on `platform` of the enterprise `uscc`'s certificate that is
    unrevoked and expires last (a sign flow may name its signer by holder); the same refusal as
    authorization_by_serial otherwise."""
    now = at or timezone.now()
    found = (
        _active_authorizations(platform, phone, now)
        .filter(
            certificate__holder__enterprise__uscc=uscc,
            certificate__issuer__isnull=False,
            certificate__revoked_at__isnull=True,
            certificate__not_after__gt=now,
        )
        .select_related("certificate__renewed_by")
        .order_by("-certificate__not_after")
        .first()
    )
    if found is None:
        raise NotAuthorized(_("该证书未授权给本交易平台的这位被授权人，或授权已过期、已撤销。"))
    return found


def _refuse_pending(serial: str, platform: TradingPlatform, phone: str, at: datetime) -> None:
    """A platform may learn that an authorisation to it awaits the person's confirmation."""
    pending = CertificateAuthorization.objects.filter(
        platform=platform,
        grantee_phone=phone,
        certificate__serial=serial,
        revoked_at__isnull=True,
        confirmed_at__isnull=True,
        valid_until__gte=at,
    )
    if pending.exists():
        raise AuthorizationPending(_("该证书授权尚待被授权人确认手机号（短信验证码），确认后方可发起签章。"))


# --- platform ↔ person links (who a platform may sign in) -----------------------------------------


def live_link(platform: TradingPlatform, person: Person, subject: str) -> PlatformLink | None:
    return PlatformLink.objects.filter(
        platform=platform, person=person, subject=subject[:255], revoked_at__isnull=True
    ).first()


def links_of(person: Person) -> QuerySet[PlatformLink]:
    return PlatformLink.objects.filter(person=person).select_related("platform").order_by("revoked_at", "-linked_at")


def link_for(person: Person, link_id: object) -> PlatformLink:
    """The person's own link, or NotFound (never another person's)."""
    try:
        link = PlatformLink.objects.select_related("platform").filter(person=person, pk=int(str(link_id))).first()
    except ValueError:
        link = None
    if link is None:
        raise NotFound(_("关联不存在。"))
    return link


def is_link_live(link_id: int) -> bool:
    return PlatformLink.objects.filter(pk=link_id, revoked_at__isnull=True).exists()


def do_link_platform(
    platform: TradingPlatform, person: Person, subject: str, *, method: str, acting: Acting
) -> PlatformLink:
    """Link (or link again) the platform's user `subject` to `person`, once the person proved it."""
    now = timezone.now()
    with transaction.atomic():
        link, _created = PlatformLink.objects.select_for_update(no_key=True).get_or_create(
            platform=platform,
            person=person,
            subject=subject[:255],
            defaults={"method": method, "linked_at": now},
        )
        link.method, link.linked_at, link.revoked_at = method, now, None
        link.save(update_fields=["method", "linked_at", "revoked_at"])
        record(
            events.PLATFORM_LINK,
            **acting.audit(),
            target=person.account_id,
            data={"platform": platform.code, "subject": link.subject, "method": method, "link": link.pk},
        )
    return link


def do_unlink_platform(link: PlatformLink, *, acting: Acting) -> PlatformLink:
    """解除关联: the platform's SSO sessions for the person end, its next SSO needs the proof again."""
    with transaction.atomic():
        locked = PlatformLink.objects.select_for_update(no_key=True).get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record(
                events.PLATFORM_UNLINK,
                **acting.audit(),
                target=link.person.account_id,
                data={"platform": link.platform.code, "subject": locked.subject, "link": locked.pk},
            )
    return locked


def touch_link(link: PlatformLink) -> None:
    PlatformLink.objects.filter(pk=link.pk).update(last_login_at=timezone.now())
