"""Seals bound to certificates (绑定印章), issue #14 item 7: 修改/变更 of a bound seal carries its
bindings over to the new seal (a new GB/T 38540 electronic seal for SM2), the certificate page
shows each bound seal's state, and the holder binds and unbinds seals there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Membership, Person
from inkseal.accounts.services import identity_acting
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.pki.algorithms import SM2
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate, revoke_certificate
from inkseal.seals import ses_parse
from inkseal.seals.models import ElectronicSeal, Seal, SealState, SealType
from inkseal.seals.services import (
    TemplateOptions,
    do_bind_seal,
    do_make_template_seal,
    do_unbind_seal,
    do_void_seal,
    is_bound,
    seal_bindings,
)
from inkseal.signing.selfservice import services as selfservice
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, make_seal

pytestmark = pytest.mark.django_db


@dataclass
class Holder:
    admin: Person
    certificate: Certificate
    seals: dict[str, Seal]

    @property
    def identity(self) -> CurrentIdentity:
        return CurrentIdentity(self.admin, self.certificate.holder.enterprise, Membership.Role.ADMIN)

    def client(self) -> Client:
        return login_client(self.admin, f"enterprise:{self.certificate.holder.enterprise.pk}")

    def page(self) -> str:
        response = self.client().get(f"/certificates/{self.certificate.pk}/")
        assert response.status_code == 200
        return response.content.decode()


@pytest.fixture
def holder(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Holder:
    admin = verified_person(name="刘婧妍")
    enterprise = verified_enterprise(admin, name="北京示范科技有限公司")
    certificate = issue_cloud_certificate(enterprise.party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    seals = {kind: make_seal(enterprise.party, kind, admin) for kind in (SealType.OFFICIAL, SealType.CONTRACT)}
    for seal in seals.values():
        do_bind_seal(seal, certificate, acting=Acting(ACTOR))
    return Holder(admin, certificate, seals)


def seal_rows(page: str) -> dict[str, str]:
    """data-seal id → the row's HTML, from the certificate page's 绑定印章 section."""
    section = page[page.index('id="bound-seals"') :]
    section = section[: section.index("</section>")]
    rows = {}
    for chunk in section.split('data-seal="')[1:]:
        seal_id, rest = chunk.split('"', 1)
        rows[seal_id] = rest[: rest.find("data-seal=") if "data-seal=" in rest else len(rest)]
    return rows


# --- 修改/变更 carries the binding over ------------------------------------------------------------


def test_changing_a_bound_seal_binds_the_new_one_with_a_new_electronic_seal(holder: Holder) -> None:
    old = holder.seals[SealType.OFFICIAL]
    old_electronic = ElectronicSeal.objects.get(seal=old, certificate=holder.certificate)

    new = do_make_template_seal(
        holder.identity, SealType.OFFICIAL, TemplateOptions(), acting=identity_acting(holder.identity), replaces=old
    )

    old.refresh_from_db()
    assert old.state == SealState.VOID
    assert is_bound(new, holder.certificate) and not is_bound(old, holder.certificate)
    assert seal_bindings(new)  # the seal pages show it bound, not 未绑定
    electronic = ElectronicSeal.objects.get(seal=new, certificate=holder.certificate)
    assert electronic.es_id != old_electronic.es_id
    with new.image.open("rb") as handle:
        assert ses_parse.parse_seal(bytes(electronic.der)).info.picture.data == handle.read()
    # 自助签署 keeps offering a 公章 with this certificate: the new one
    palette = {choice.seal_type: choice.seal.pk for choice in selfservice.bound_seals(holder.certificate)}
    assert palette[SealType.OFFICIAL] == new.pk
    carried = AuditEntry.objects.get(event="seal.bind", target=f"seal:{new.pk}")
    assert carried.data["replaces"] == old.pk and carried.data["certificate"] == holder.certificate.serial
    assert AuditEntry.objects.filter(event="seal.unbind", target=f"seal:{old.pk}").exists()


def test_the_seal_page_of_the_replacement_names_the_certificate(holder: Holder) -> None:
    old = holder.seals[SealType.OFFICIAL]
    new = do_make_template_seal(
        holder.identity, SealType.OFFICIAL, TemplateOptions(), acting=identity_acting(holder.identity), replaces=old
    )
    detail = holder.client().get(f"/seals/{new.pk}/").content.decode()
    bindings = detail[detail.index('id="bindings"') :]
    assert holder.certificate.serial in bindings[: bindings.index("</dd>")]


def test_a_binding_to_a_revoked_certificate_is_not_carried_over(holder: Holder) -> None:
    revoke_certificate(holder.certificate, reason=1, acting=Acting(ACTOR))
    old = holder.seals[SealType.OFFICIAL]
    new = do_make_template_seal(
        holder.identity, SealType.OFFICIAL, TemplateOptions(), acting=identity_acting(holder.identity), replaces=old
    )
    assert not is_bound(new, holder.certificate) and is_bound(old, holder.certificate)


# --- the certificate page ------------------------------------------------------------------------


def test_the_certificate_page_shows_each_bound_seals_state(holder: Holder) -> None:
    contract = holder.seals[SealType.CONTRACT]
    do_void_seal(holder.identity, contract, acting=identity_acting(holder.identity))

    rows = seal_rows(holder.page())

    official = holder.seals[SealType.OFFICIAL]
    assert set(rows) == {str(official.pk), str(contract.pk)}
    assert 'data-state="active"' in rows[str(official.pk)] and "可用" in rows[str(official.pk)]
    assert 'data-state="void"' in rows[str(contract.pk)] and "作废" in rows[str(contract.pk)]


def test_the_holder_unbinds_and_binds_seals_on_the_certificate_page(holder: Holder) -> None:
    client = holder.client()
    official = holder.seals[SealType.OFFICIAL]
    base = f"/seals/certificates/{holder.certificate.pk}"

    unbound = client.post(f"{base}/unbind", {"seal": official.pk})
    assert unbound.status_code == 302 and unbound["Location"] == f"/certificates/{holder.certificate.pk}/"
    assert not is_bound(official, holder.certificate)
    entry = AuditEntry.objects.get(event="seal.unbind", target=f"seal:{official.pk}")
    assert entry.actor_id == holder.admin.account_id and entry.data["certificate"] == holder.certificate.serial
    page = holder.page()
    assert str(official.pk) not in seal_rows(page)
    form = page[page.index('id="bind-seal"') :]
    assert f'value="{official.pk}"' in form[: form.index("</form>")]

    bound = client.post(f"{base}/bind", {"seal": official.pk})
    assert bound.status_code == 302 and is_bound(official, holder.certificate)
    assert AuditEntry.objects.filter(event="seal.bind", target=f"seal:{official.pk}").count() == 2
    assert 'data-state="active"' in seal_rows(holder.page())[str(official.pk)]


def test_binding_refusals_change_nothing(holder: Holder, verified_person: Any, verified_enterprise: Any) -> None:
    client = holder.client()
    base = f"/seals/certificates/{holder.certificate.pk}"
    contract = holder.seals[SealType.CONTRACT]
    do_void_seal(holder.identity, contract, acting=identity_acting(holder.identity))
    do_unbind_seal(contract, holder.certificate, acting=Acting(ACTOR))

    void = client.post(f"{base}/bind", {"seal": contract.pk}, HTTP_ACCEPT="application/json")
    assert void.status_code == 409 and void.json()["error"] == "seal_inactive"
    other_admin = verified_person(name="王五")
    other = verified_enterprise(other_admin, name="另一家公司")
    foreign = make_seal(other.party, SealType.OFFICIAL, other_admin)
    assert client.post(f"{base}/bind", {"seal": foreign.pk}).status_code == 404
    assert client.post(f"{base}/bind", {"seal": "x"}).status_code == 404
    other_certificate = issue_cloud_certificate(other.party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    cross = f"/seals/certificates/{other_certificate.pk}/bind"
    assert client.post(cross, {"seal": holder.seals[SealType.OFFICIAL].pk}).status_code == 404
    assert not is_bound(contract, holder.certificate) and not is_bound(foreign, holder.certificate)


def test_only_administrators_bind_or_unbind(holder: Holder, verified_person: Any) -> None:
    member = verified_person(name="赵六")
    enterprise = holder.certificate.holder.enterprise
    Membership.objects.create(person=member, enterprise=enterprise, role=Membership.Role.MEMBER)
    client = login_client(member, f"enterprise:{enterprise.pk}")
    official = holder.seals[SealType.OFFICIAL]
    response = client.post(f"/seals/certificates/{holder.certificate.pk}/unbind", {"seal": official.pk})
    assert response.status_code == 403 and is_bound(official, holder.certificate)
    page = client.get(f"/certificates/{holder.certificate.pk}/").content.decode()
    assert 'id="bind-seal"' not in page and "/unbind" not in page


def test_a_revoked_certificate_takes_no_new_seal(holder: Holder) -> None:
    official = holder.seals[SealType.OFFICIAL]
    do_unbind_seal(official, holder.certificate, acting=Acting(ACTOR))
    revoke_certificate(holder.certificate, reason=1, acting=Acting(ACTOR))
    with pytest.raises(DomainError) as refused:
        do_bind_seal(official, holder.certificate, acting=Acting(ACTOR))
    assert refused.value.code == "certificate_unusable" and "证书" in str(refused.value.message)
    assert not is_bound(official, holder.certificate)
    assert 'id="bind-seal"' not in holder.page()
