"""Account operations: sign-in by SMS, identity switching, enterprises, logout everywhere. (A trading
platform's SSO sign-in builds on these: platforms.sso_login.)

check_* validate, do_* change state and write their audit row in the same transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _

from inkseal.accounts import session as portal_session
from inkseal.accounts.errors import AddressInvalid, EnterpriseInvalid
from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Address, Enterprise, Membership, Party, Person
from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.core.acting import Acting
from inkseal.core.crypto import blind_index, encrypt
from inkseal.core.errors import NotFound
from inkseal.core.idnumbers import is_valid_phone, is_valid_uscc
from inkseal.core.masking import mask_id_number
from inkseal.notify.services import verify_code


def person_actor(person: Person) -> Actor:
    """The person as an audit actor; in a platform's SSO session the label names the platform."""
    label = person.name or person.masked_phone
    via = portal_session.origin.get()
    return Actor("person", person.account_id, f"{label} [{via}]" if via else label)


def identity_acting(identity: CurrentIdentity, ip: str = "") -> Acting:
    """The person of a portal identity acting as that identity (personal or enterprise)."""
    return Acting(person_actor(identity.person), ip, identity.key)


def request_acting(request: HttpRequest) -> Acting:
    """Who a portal request acts as: its logged-in person (anonymous before login), from the
    request's address, as the identity it carries."""
    person = getattr(request, "person", None)
    return Acting.from_request(request, person_actor(person) if person is not None else Actor("anonymous"))


def id_index(id_number: str) -> str:
    return blind_index(id_number.upper(), "id_number")


def create_person(phone: str, name: str = "", id_number: str = "") -> Person:
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
            person = create_person(phone)
        record(
            events.LOGIN_SMS,
            **acting.as_actor(person_actor(person)).audit(),
            target=person.account_id,
            data={"registered": created},
        )
    return person


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
