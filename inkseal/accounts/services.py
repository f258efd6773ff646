"""Account operations: sign-in (SMS, SSO), identity switching, enterprises, logout everywhere.

check_* validate, do_* change state and write their audit row in the same transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts import session as portal_session
from inkseal.accounts.errors import PHONE_OWNERSHIP_NOTE, AddressInvalid, EnterpriseInvalid, IdentityConflict, SsoError
from inkseal.accounts.identity import CurrentIdentity, identities_of
from inkseal.accounts.models import Address, Enterprise, Membership, Party, Person, VerificationState
from inkseal.accounts.sso import SsoClaims
from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.core.acting import Acting
from inkseal.core.crypto import blind_index, encrypt
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.idnumbers import is_valid_phone, is_valid_uscc
from inkseal.core.masking import mask_id_number
from inkseal.notify.services import send_code, verify_code
from inkseal.platforms.models import PlatformLink, TradingPlatform
from inkseal.platforms.services import do_link_platform, live_link, touch_link


def person_actor(person: Person) -> Actor:
    """The person as an audit actor; in a platform's SSO session the label names the platform."""
    label = person.name or person.masked_phone
    via = portal_session.origin.get()
    return Actor("person", person.account_id, f"{label} [{via}]" if via else label)


def identity_acting(identity: CurrentIdentity, ip: str = "") -> Acting:
    """The person of a portal identity acting as that identity (personal or enterprise)."""
    return Acting(person_actor(identity.person), ip, identity.key)


def id_index(id_number: str) -> str:
    return blind_index(id_number.upper(), "id_number")


def _create_person(phone: str, name: str = "", id_number: str = "") -> Person:
    party = Party.objects.create(kind=Party.Kind.PERSON)
    person = Person(party=party, phone=phone, name=name)
    if id_number:
        set_id_number(person, id_number)
    person.save()
    return person


def set_id_number(person: Person, id_number: str) -> None:
    id_number = id_number.upper()
    person.id_number_enc = encrypt(id_number, f"person-id:{person.account_id}")
    person.id_number_index = id_index(id_number)
    person.id_number_masked = mask_id_number(id_number)


def do_sms_login(phone: str, code: str, *, acting: Acting) -> Person:
    """Log in (registering on first use) with a phone and the SMS code sent to it; the person the
    code proved is the actor."""
    verify_code(phone, "login", code)
    with transaction.atomic():
        person = Person.objects.filter(phone=phone).first()
        created = person is None
        if person is None:
            person = _create_person(phone)
        record(
            events.LOGIN_SMS,
            **acting.as_actor(person_actor(person)).audit(),
            target=person.account_id,
            data={"registered": created},
        )
    return person


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
            person = _create_person(claims.phone, claims.name, claims.id_number)
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


def do_logout(person: Person, *, acting: Acting, everywhere: bool = False) -> None:
    with transaction.atomic():
        if everywhere:
            Person.objects.filter(pk=person.pk).update(session_epoch=F("session_epoch") + 1)
        record(
            events.LOGOUT,
            **acting.audit(),
            target=person.account_id,
            data={"everywhere": everywhere},
        )


def do_switch_identity(identity: CurrentIdentity, *, acting: Acting) -> None:
    """Record the switch; the entry names the identity switched to."""
    record(
        events.IDENTITY_SWITCH,
        **identity_acting(identity, acting.ip).audit(),
        target=identity.label,
    )


def check_enterprise(name: str, uscc: str) -> tuple[str, str]:
    name, uscc = name.strip(), uscc.strip().upper()
    if not 2 <= len(name) <= 128:
        raise EnterpriseInvalid(_("请输入企业名称（2–128个字）。"))
    if uscc and not is_valid_uscc(uscc):
        raise EnterpriseInvalid(_("统一社会信用代码校验失败，请核对后重新输入。"))
    if uscc and Enterprise.objects.filter(uscc=uscc).exists():
        raise EnterpriseInvalid(_("该统一社会信用代码已被登记，请联系该企业的管理员将您加入。"))
    return name, uscc


def do_create_enterprise(
    person: Person, name: str, uscc: str, enterprise_type: str, legal_rep_name: str, *, acting: Acting
) -> Enterprise:
    """创建企业: the creator becomes its administrator (经办人). Verification is a separate step."""
    name, uscc = check_enterprise(name, uscc)
    try:
        with transaction.atomic():
            party = Party.objects.create(kind=Party.Kind.ENTERPRISE)
            enterprise = Enterprise.objects.create(
                party=party,
                name=name,
                uscc=uscc,
                enterprise_type=enterprise_type,
                legal_rep_name=legal_rep_name.strip(),
                created_by=person,
            )
            Membership.objects.create(person=person, enterprise=enterprise, role=Membership.Role.ADMIN)
            record(
                events.ENTERPRISE_CREATE,
                **acting.audit(),
                target=f"enterprise:{enterprise.pk}",
                data={"name": name, "uscc": uscc},
            )
    except IntegrityError:
        raise EnterpriseInvalid(_("该统一社会信用代码已被登记，请联系该企业的管理员将您加入。"))
    return enterprise


def check_address(recipient: str, phone: str, region: str, detail: str) -> None:
    if not (recipient.strip() and region.strip() and detail.strip()):
        raise AddressInvalid()
    if not is_valid_phone(phone.strip()):
        raise AddressInvalid(_("请输入正确的11位手机号。"))


def do_add_address(
    person: Person, recipient: str, phone: str, region: str, detail: str, is_default: bool, *, acting: Acting
) -> Address:
    check_address(recipient, phone, region, detail)
    with transaction.atomic():
        first = not person.addresses.exists()
        if is_default or first:
            person.addresses.update(is_default=False)
        address = Address.objects.create(
            person=person,
            recipient=recipient.strip(),
            phone=phone.strip(),
            region=region.strip(),
            detail=detail.strip(),
            is_default=is_default or first,
        )
        record(events.ADDRESS_ADD, **acting.audit(), target=f"address:{address.pk}")
    return address


def address_for(person: Person, address_id: int) -> Address:
    """The person's own address, or NotFound (never another person's)."""
    address = Address.objects.filter(person=person, pk=address_id).first()
    if address is None:
        raise NotFound(_("地址不存在。"))
    return address


def do_set_default_address(address: Address, *, acting: Acting) -> None:
    with transaction.atomic():
        address.person.addresses.update(is_default=False)
        Address.objects.filter(pk=address.pk).update(is_default=True)
        record(events.ADDRESS_DEFAULT, **acting.audit(), target=f"address:{address.pk}")


def do_delete_address(address: Address, *, acting: Acting) -> None:
    with transaction.atomic():
        person = address.person
        was_default = address.is_default
        record(events.ADDRESS_DELETE, **acting.audit(), target=f"address:{address.pk}")
        address.delete()
        if was_default:
            successor = person.addresses.order_by("-created_at").first()
            if successor:
                Address.objects.filter(pk=successor.pk).update(is_default=True)
