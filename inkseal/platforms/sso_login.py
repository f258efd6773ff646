"""Signing in through a trading platform (SSO: a jump ticket, platforms.sso, or OpenID Connect,
platforms.oidc): the claims checked against the accounts we know, the first sign-in of a platform
proved with an SMS code to the person's own phone (which links the platform), the enterprise an
enterprise entry lands in, and the audit rows of each step.

check_* validate, do_* change state and write their audit row in the same transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts.errors import PHONE_OWNERSHIP_NOTE, IdentityConflict, SsoError
from inkseal.accounts.identity import CurrentIdentity, identities_of
from inkseal.accounts.models import Person, VerificationState
from inkseal.accounts.services import create_person, id_index, person_actor, set_id_number
from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.notify.services import send_code, verify_code
from inkseal.platforms.models import PlatformLink, TradingPlatform
from inkseal.platforms.services import do_link_platform, live_link, touch_link
from inkseal.platforms.sso import SsoClaims


def check_sso_claims(claims: SsoClaims) -> Person | None:
    """The existing person the claims name, or None for a new one. Refuses conflicts.

    A verified account's name and ID number are facts: a platform claiming another name or ID
    for that phone is refused, as is a phone claiming the ID of another verified account.
    """
    person = Person.objects.filter(phone=claims.phone).first()
    if person and person.is_verified:
        same_name = person.name == claims.name
        same_id = not claims.id_number or person.id_number_index == id_index(claims.id_number)
        if not (same_name and same_id):
            raise IdentityConflict(
                _("交易平台提供的姓名或证件号与该手机号已实名的用户不一致。") + str(PHONE_OWNERSHIP_NOTE)
            )
    if claims.id_number:
        owner = (
            Person.objects.filter(
                id_number_index=id_index(claims.id_number), verification_state=VerificationState.VERIFIED
            )
            .exclude(phone=claims.phone)
            .first()
        )
        if owner:
            raise IdentityConflict(_("该证件号已由另一个手机号的帐号完成实名认证。") + str(PHONE_OWNERSHIP_NOTE))
    return person


class LinkRequired(DomainError):
    """The platform has no link to this person yet: the person proves it with an SMS code."""

    code = "platform_link_required"
    status = 403
    default_message = gettext_lazy("首次从该交易平台登录，需验证您本人的手机号。")


def link_purpose(platform: TradingPlatform) -> str:
    return f"sso_link:{platform.code}"


def check_sso_link(claims: SsoClaims, platform: TradingPlatform) -> tuple[Person | None, PlatformLink | None]:
    """The person the claims name and the platform's live link to them (None: proof needed)."""
    person = check_sso_claims(claims)
    link = live_link(platform, person, claims.subject) if person is not None else None
    return person, link


def do_request_sso_link(claims: SsoClaims, platform: TradingPlatform, method: str, *, acting: Acting) -> None:
    """First SSO of this platform for this person: the SMS code goes to the person's own phone
    (the phone we know for them; for a new person, the phone being registered)."""
    person = Person.objects.filter(phone=claims.phone).first()
    record(
        events.LOGIN_SSO_LINK_REQUIRED,
        **acting.as_actor(Acting.platform(platform).actor).audit(),
        target=person.account_id if person else "",
        data={"platform": platform.code, "method": method, "subject": claims.subject},
    )
    context = _("交易平台“%(platform)s”请求以您的身份登录电子签章平台，如非本人操作请勿提供；") % {
        "platform": platform.name
    }
    send_code(claims.phone, link_purpose(platform), acting.ip, context=str(context))


def do_sso_login(
    claims: SsoClaims, platform: TradingPlatform, method: str, *, acting: Acting, code: str = ""
) -> tuple[Person, PlatformLink]:
    """Sign in a person the platform is linked to; with `code` (the SMS code sent to the person's
    phone by do_request_sso_link) link it first. LinkRequired without a link or a code."""
    person, link = check_sso_link(claims, platform)
    if link is None:
        if not code:
            raise LinkRequired(_("首次从该交易平台登录，需验证您本人的手机号。"))
        verify_code(claims.phone, link_purpose(platform), code)
        person = check_sso_claims(claims)  # again: nothing may have changed while the code travelled
    with transaction.atomic():
        created = person is None
        if person is None:
            person = create_person(claims.phone, claims.name, claims.id_number)
        elif not person.is_verified:
            # Unverified details follow the platform until the person verifies them.
            person.name = claims.name
            if claims.id_number:
                set_id_number(person, claims.id_number)
            person.save()
        if link is None:
            link = do_link_platform(
                platform,
                person,
                claims.subject,
                method=PlatformLink.Method.SMS,
                acting=acting.as_actor(person_actor(person)),
            )
        touch_link(link)
        record(
            events.LOGIN_SSO,
            **acting.as_actor(person_actor(person)).audit(),
            target=person.account_id,
            data={
                "platform": platform.code,
                "method": method,
                "subject": claims.subject,
                "registered": created,
                "link": link.pk,
            },
        )
    return person, link


def check_sso_entry(person: Person, claims: SsoClaims) -> CurrentIdentity | None:
    """The enterprise identity an enterprise entry lands in: one of the person's memberships
    (the one for the enterprise the platform names, if it names one), never the claim alone."""
    if claims.entry != "enterprise":
        return None
    enterprises = [i for i in identities_of(person) if i.enterprise is not None]
    if claims.enterprise:
        named = [i for i in enterprises if i.enterprise is not None and i.enterprise.uscc == claims.enterprise]
        if not named:
            raise SsoError(
                _("您不是交易平台所指企业的成员，不能以该企业身份登录。请联系该企业的管理员将您加入。"),
                code="enterprise_not_member",
                status=403,
            )
        return named[0]
    return enterprises[0] if enterprises else None


def record_sso_failure(platform_code: str, method: str, code: str, *, acting: Acting, detail: str = "") -> None:
    record(
        events.LOGIN_SSO_FAILED,
        **acting.as_actor(Actor("anonymous", "", platform_code)).audit(),
        target=platform_code,
        data={"method": method, "reason": code, "detail": detail[:200]},
    )
