"""证书管理 pages: lists, detail, two-step revocation, renewal, PIN, downloads, scoping and roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inkseal.accounts.models import Membership
from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.crl import RevocationReason
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate, issue_from_csr, revoke_certificate
from tests.conftest import login_client
from tests.pki.test_services import csr
from tests.pki.test_trust import leaf, pem, trust_foreign_root

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")


def cloud(holder, algorithm=ECDSA_P256, **kwargs) -> Certificate:  # type: ignore[no-untyped-def]
    return issue_cloud_certificate(holder.party, algorithm=algorithm, years=1, acting=Acting(ACTOR), **kwargs)


@pytest.fixture
def person(ca_hierarchy, verified_person):  # type: ignore[no-untyped-def]
    return verified_person(name="乔海朋")


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_the_list_shows_usable_first_and_invalid_apart(person):
    due = cloud(person, now=timezone.now() - timedelta(days=340))
    valid = cloud(person)
    revoked = cloud(person, algorithm=RSA_2048)
    revoke_certificate(revoked, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
    ukey = issue_from_csr(person.party, csr(), ukey_serial="TW-77", years=1, acting=Acting(ACTOR))
    client = login_client(person)

    html = page(client.get("/certificates/"))
    for heading in (
        "UKEY证书",
        "云证书",
        "新增证书",
        "可用证书",
        "无效证书",
        "类型",
        "状态",
        "UKEY序列号",
        "证书序列号",
        "证书使用人",
        "到期时间",
        "开始时间",
        "吊销时间",
    ):
        assert heading in html
    usable = html.split('id="usable-certificates"')[1].split('id="invalid-certificates"')[0]
    invalid = html.split('id="invalid-certificates"')[1]
    assert usable.index(valid.serial) < usable.index(due.serial)  # valid first
    assert "待续期" in usable and "天后到期" in usable
    assert revoked.serial in invalid and "已吊销" in invalid and revoked.serial not in usable
    assert ukey.serial not in html  # other tab
    assert 'href="/applications/"' in html  # 新增证书 goes to purchase

    ukey_tab = page(client.get("/certificates/?medium=ukey"))
    assert ukey.serial in ukey_tab and "TW-77" in ukey_tab and valid.serial not in ukey_tab
    found = page(client.get(f"/certificates/?q={valid.serial[:12]}"))
    assert valid.serial in found and due.serial not in found


def test_the_detail_page(person):
    certificate = cloud(person)
    html = page(login_client(person).get(f"/certificates/{certificate.pk}/"))
    for label in (
        "证书使用人",
        "CA机构",
        "证书介质",
        "状态",
        "类型",
        "有效期",
        "证书序列号",
        "CN",
        "绑定印章",
        "证书授权信息",
    ):
        assert label in html
    assert certificate.serial in html and "乔海朋" in html and "有效" in html and certificate.ca_name in html
    assert "暂无绑定印章" in html and "暂无授权记录" in html
    assert 'id="revoke"' in html and 'id="renew"' not in html  # not due yet


def test_sections_other_apps_register_are_rendered(person):
    from inkseal.pki import sections

    certificate = cloud(person)

    def seals(c):  # type: ignore[no-untyped-def]
        return (
            [{"name": "乔海朋印", "kind": "个人名章", "image_url": "/static/x.png"}] if c.pk == certificate.pk else []
        )

    def grants(c):  # type: ignore[no-untyped-def]
        return [{"platform": "际华集团", "grantee": "乔海朋", "state": "有效", "term": "2026-12-31"}]

    def add_url(c):  # type: ignore[no-untyped-def]
        return f"/platforms/grant?certificate={c.pk}"

    sections.register_bound_seals(seals)
    sections.register_authorisations(grants, add_url=add_url)
    try:
        html = page(login_client(person).get(f"/certificates/{certificate.pk}/"))
        assert "个人名章" in html and "际华集团" in html and "添加授权" in html
    finally:
        sections._seal_providers.remove(seals)
        sections._authorisation_providers.remove(grants)
        sections._add_authorisation.remove(add_url)


def test_revocation_takes_a_reason_and_two_steps(person):
    certificate = cloud(person)
    client = login_client(person, stepped_up=True)
    url = f"/certificates/{certificate.pk}/revoke"
    step1 = client.get(url)
    assert "操作提示" in page(step1) and "请选择吊销原因" in page(step1)

    missing = client.post(url, {"step": "1"})
    assert missing.status_code == 400 and "请选择吊销原因。" in page(missing)
    not_offered = client.post(url, {"step": "1", "reason": "2"})  # cACompromise is not the holder's to pick
    assert not_offered.status_code == 400

    step2 = client.post(url, {"step": "1", "reason": "1"})
    assert step2.status_code == 200 and "风险提示" in page(step2) and "密钥泄露" in page(step2)
    certificate.refresh_from_db()
    assert certificate.revoked_at is None  # nothing happens before the confirmation

    unconfirmed = client.post(url, {"step": "2", "reason": "1"})
    assert unconfirmed.status_code == 400 and "请确认已知晓吊销风险" in page(unconfirmed)
    done = client.post(url, {"step": "2", "reason": "1", "confirm": "on"}, REMOTE_ADDR="10.1.2.3")
    assert done.status_code == 302 and done["Location"] == f"/certificates/{certificate.pk}/"
    certificate.refresh_from_db()
    assert certificate.reason is RevocationReason.KEY_COMPROMISE
    entry = AuditEntry.objects.get(event="certificate.revoke")
    assert entry.ip == "10.1.2.3" and entry.identity == "person" and entry.actor_kind == "person"
    detail = page(client.get(done["Location"]))
    assert "已吊销" in detail and "证书已吊销。" in detail and 'id="revoke"' not in detail
    assert client.get(url).status_code == 302  # nothing left to revoke


def test_renewal_from_the_page(person):
    due = cloud(person, now=timezone.now() - timedelta(days=340))
    client = login_client(person)
    assert 'id="renew"' in page(client.get(f"/certificates/{due.pk}/"))
    response = client.post(f"/certificates/{due.pk}/renew")
    new = Certificate.objects.get(renews=due)
    assert response["Location"] == f"/certificates/{new.pk}/"
    assert "证书已续期" in page(client.get(response["Location"]))
    refused = client.post(f"/certificates/{new.pk}/renew")  # not due
    assert refused.status_code == 409 and "天内方可续期" in page(refused)


def test_setting_and_changing_the_pin(person):
    certificate = cloud(person)
    client = login_client(person, stepped_up=True)
    url = f"/certificates/{certificate.pk}/pin"
    assert "设置云证书PIN码" in page(client.get(url))
    mismatch = client.post(url, {"pin": "135790", "pin_again": "135791"})
    assert mismatch.status_code == 400 and "两次输入的 PIN 码不一致" in page(mismatch)
    weak = client.post(url, {"pin": "123456", "pin_again": "123456"})
    assert weak.status_code == 400 and "过于简单" in page(weak)
    assert client.post(url, {"pin": "135790", "pin_again": "135790"}).status_code == 302
    assert "已设置" in page(client.get(f"/certificates/{certificate.pk}/"))

    change = client.get(url)
    assert "原 PIN 码" in page(change)
    assert "<title>修改云证书PIN码" in change.content.decode()  # the title says what the page does
    wrong = client.post(url, {"old_pin": "000000", "pin": "246801", "pin_again": "246801"})
    assert wrong.status_code == 400 and "PIN 码错误，还可尝试 4 次" in page(wrong)
    assert client.post(url, {"old_pin": "135790", "pin": "246801", "pin_again": "246801"}).status_code == 302


def test_downloads(person, openssl):
    certificate = cloud(person, algorithm=RSA_2048)
    client = login_client(person)
    der = client.get(f"/certificates/{certificate.pk}/download/der")
    assert der["Content-Type"] == "application/pkix-cert" and der.content == bytes(certificate.der)
    pem_body = client.get(f"/certificates/{certificate.pk}/download/pem").content
    assert pem_body.startswith(b"-----BEGIN CERTIFICATE-----")
    chain = client.get(f"/certificates/{certificate.pk}/download/chain")
    assert chain.content.count(b"BEGIN CERTIFICATE") == 3
    assert client.get(f"/certificates/{certificate.pk}/download/pfx").status_code == 404
    # the downloaded chain verifies: leaf + issuing as untrusted, the root (last) as the anchor
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", chain.content, re.DOTALL)
    openssl.write("root.pem", blocks[-1])
    openssl.write("chain.pem", b"".join(blocks[:-1]))
    openssl.write("leaf.pem", pem_body)
    assert "leaf.pem: OK" in openssl("verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem").stdout


def test_another_identitys_certificate_is_not_found(person, verified_person, verified_enterprise):
    certificate = cloud(person)
    stranger = verified_person(name="路人")
    client = login_client(stranger)
    for path in ("/", "revoke", "pin", "download/pem"):
        url = f"/certificates/{certificate.pk}/{path}".replace("//", "/")
        assert client.get(url).status_code == 404
    assert client.post(f"/certificates/{certificate.pk}/renew").status_code == 404
    assert (
        client.post(f"/certificates/{certificate.pk}/revoke", {"step": "2", "reason": "1", "confirm": "on"}).status_code
        == 404
    )
    assert client.get("/certificates/999999/").status_code == 404
    assert certificate.serial not in page(client.get("/certificates/"))
    # the person's own enterprise identity does not see their personal certificates either
    enterprise = verified_enterprise(person)
    as_enterprise = login_client(person, identity=f"enterprise:{enterprise.pk}")
    assert as_enterprise.get(f"/certificates/{certificate.pk}/").status_code == 404
    certificate.refresh_from_db()
    assert certificate.revoked_at is None


def test_enterprise_members_see_but_only_administrators_act(person, verified_person, verified_enterprise):
    enterprise = verified_enterprise(person)
    certificate = cloud(enterprise)
    member = verified_person(name="成员甲")
    Membership.objects.create(person=member, enterprise=enterprise, role=Membership.Role.MEMBER)
    client = login_client(member, identity=f"enterprise:{enterprise.pk}")
    html = page(client.get("/certificates/"))
    assert certificate.serial in html and f"/certificates/{certificate.pk}/revoke" not in html
    assert 'id="revoke"' not in page(client.get(f"/certificates/{certificate.pk}/"))
    forbidden = client.post(f"/certificates/{certificate.pk}/revoke", {"step": "2", "reason": "1", "confirm": "on"})
    assert forbidden.status_code == 403 and "企业管理员" in page(forbidden)
    assert client.get(f"/certificates/{certificate.pk}/pin").status_code == 403
    assert client.post(f"/certificates/{certificate.pk}/renew").status_code == 403

    admin = login_client(person, identity=f"enterprise:{enterprise.pk}")
    assert admin.get(f"/certificates/{certificate.pk}/revoke").status_code == 200


def test_home_counts_usable_certificates_per_medium(person):
    certificate = cloud(person)
    issue_from_csr(person.party, csr(), ukey_serial="TW-1", years=1, acting=Acting(ACTOR))
    client = login_client(person)
    html = page(client.get("/"))
    assert 'data-count="cloud_certificates">1<' in html and 'data-count="ukey_certificates">1<' in html
    revoke_certificate(certificate, reason=RevocationReason.SUPERSEDED, acting=Acting(ACTOR))
    assert 'data-count="cloud_certificates">0<' in page(client.get("/"))


def test_registering_another_cas_ukey_certificate(person):
    trust_foreign_root()
    client = login_client(person)
    assert "登记其他CA的UKEY证书" in page(client.get("/certificates/?medium=ukey"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("ukey.pem", pem(leaf("乔海朋")), content_type="application/x-pem-file")
    response = client.post("/certificates/register", {"certificate": upload, "ukey_serial": "FT-88"})
    registered = Certificate.objects.get(ukey_serial="FT-88")
    assert response["Location"] == f"/certificates/{registered.pk}/"
    listed = page(client.get("/certificates/?medium=ukey"))
    assert registered.serial in listed
    detail = page(client.get(response["Location"]))
    assert "天威诚信测试CA" in detail and "CA互信互认" in detail and 'id="revoke"' not in detail

    garbage = SimpleUploadedFile("x.pem", b"garbage")
    refused = client.post("/certificates/register", {"certificate": garbage, "ukey_serial": "FT-89"})
    assert refused.status_code == 400 and "不是有效的 X.509 证书" in page(refused)


def test_english_pages(person):
    certificate = cloud(person)
    client = login_client(person)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = page(client.get("/certificates/"))
    assert "Usable certificates" in html and "可用证书" not in html
    detail = page(client.get(f"/certificates/{certificate.pk}/"))
    assert "Certificate details" in detail and "Valid" in detail
