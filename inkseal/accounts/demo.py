"""Demo people, their enterprise and the first operator (see core.demo)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.utils import timezone

from inkseal.accounts.models import Enterprise, EnterpriseState, Membership, Party, Person, VerificationState
from inkseal.accounts.services import set_id_number
from inkseal.conf import secret_file
from inkseal.core.idnumbers import id_check_char, uscc_check_char

OPERATOR_ROLES = {
    "系统管理员": None,  # every permission
    "审核员": ["view_person", "view_enterprise", "change_enterprise", "view_auditentry"],
    "运营": ["view_tradingplatform", "add_tradingplatform", "change_tradingplatform", "view_person", "view_enterprise"],
}


def _id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


DEMO_PEOPLE = [
    {
        "key": "expert",
        "name": "乔海朋",
        "phone": "18800005473",
        "id_number": _id_number("43010219880512001"),
        "role": "评标专家（个人）",
    },
    {
        "key": "bidder",
        "name": "刘婧妍",
        "phone": "18600000996",
        "id_number": _id_number("43052419900308002"),
        "role": "供应商经办人（企业）",
    },
]
DEMO_ENTERPRISE = {"name": "北京示范科技有限公司", "legal_rep_name": "刘婧妍"}


def _demo_uscc() -> str:
    first17 = "91110108MA01C8XK0"
    return first17 + uscc_check_char(first17)


def ensure_roles() -> None:
    for name, codenames in OPERATOR_ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = (
            Permission.objects.all() if codenames is None else Permission.objects.filter(codename__in=codenames)
        )
        group.permissions.set(permissions)


def ensure_operator(username: str = "operator") -> dict[str, str]:
    ensure_roles()
    password = secret_file("operator_password", 12)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=password, is_staff=True, is_superuser=True)
        user.groups.add(Group.objects.get(name="系统管理员"))
    return {"username": username, "password": password}


def _ensure_person(spec: dict[str, str]) -> Person:
    person = Person.objects.filter(phone=spec["phone"]).first()
    if person is None:
        person = Person(party=Party.objects.create(kind=Party.Kind.PERSON), phone=spec["phone"])
    person.name = spec["name"]
    set_id_number(person, spec["id_number"])
    person.verification_state = VerificationState.VERIFIED
    person.verified_at = person.verified_at or timezone.now()
    person.save()
    return person


def _ensure_enterprise(admin: Person) -> Enterprise:
    uscc = _demo_uscc()
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        enterprise = Enterprise.objects.create(
            party=Party.objects.create(kind=Party.Kind.ENTERPRISE),
            name=DEMO_ENTERPRISE["name"],
            uscc=uscc,
            enterprise_type="enterprise",
            legal_rep_name=DEMO_ENTERPRISE["legal_rep_name"],
            created_by=admin,
            state=EnterpriseState.VERIFIED,
        )
    Membership.objects.get_or_create(person=admin, enterprise=enterprise, defaults={"role": Membership.Role.ADMIN})
    return enterprise


@transaction.atomic
def demo_step(document: dict[str, Any]) -> None:
    document["operator"] = ensure_operator()
    people = {spec["key"]: _ensure_person(spec) for spec in DEMO_PEOPLE}
    enterprise = _ensure_enterprise(people["bidder"])
    document["people"] = [
        {
            "key": s["key"],
            "name": s["name"],
            "phone": s["phone"],
            "id_number": s["id_number"],
            "role": s["role"],
            "account_id": people[s["key"]].account_id,
        }
        for s in DEMO_PEOPLE
    ]
    document["enterprise"] = {"name": enterprise.name, "uscc": enterprise.uscc, "admin_phone": people["bidder"].phone}
