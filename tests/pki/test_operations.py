"""Operators: the `inkseal ca` command, the back office (CA管理) and the demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.crl import RevocationReason
from inkseal.pki.models import Certificate, CertificateAuthority, TrustedRoot
from inkseal.pki.services import issue_cloud_certificate
from tests.pki.test_trust import foreign_pki, pem

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")


def run(*args: str) -> str:
    out = StringIO()
    call_command("ca", *args, stdout=out)
    return out.getvalue()


def test_ca_init_creates_the_hierarchy_once():
    assert "created or renewed: root-rsa, issuing-rsa" in run("init")
    assert CertificateAuthority.objects.count() == 7  # RSA root, RSA/ECDSA issuing, SM2 root + issuing, 2 TSAs
    listing = run("init")
    assert "up to date" in listing and "issuing-ecdsa" in listing and "tsa-ecdsa" in listing and "tsa-sm2" in listing
    assert AuditEntry.objects.filter(event="pki.hierarchy").count() == 1


def test_ca_list_issue_crl_and_revoke(ca_hierarchy, verified_person):
    assert "root-rsa" in run("list")
    assert "CRLs published: root-rsa, issuing-rsa, issuing-ecdsa, root-sm2, issuing-sm2" in run("issue-crl")
    before = CertificateAuthority.objects.get(ca_id="issuing-rsa").crl_number
    assert f"CRL #{before + 1}" in run("issue-crl", "--ca", "issuing-rsa")
    with pytest.raises(CommandError):
        run("issue-crl", "--ca", "tsa-ecdsa")

    certificate = issue_cloud_certificate(verified_person().party, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    spaced = ":".join(certificate.serial[i : i + 2] for i in range(0, len(certificate.serial), 2)).upper()
    assert f"revoked {certificate.serial}" in run("revoke", spaced, "--reason", "key-compromise")
    certificate.refresh_from_db()
    assert certificate.reason is RevocationReason.KEY_COMPROMISE
    assert AuditEntry.objects.get(event="certificate.revoke").actor_label.startswith("cli:")
    with pytest.raises(CommandError, match="already"):
        run("revoke", certificate.serial, "--reason", "superseded")
    with pytest.raises(CommandError, match="no certificate"):
        run("revoke", "abcdef", "--reason", "superseded")
    with pytest.raises(CommandError):
        run("revoke", certificate.serial, "--reason", "unspecified")  # not a subscriber reason


@pytest.fixture
def operator_client() -> Client:
    user = User.objects.create_superuser("op", password="a-long-operator-password")
    client = Client()
    client.force_login(user)
    return client


def test_back_office_lists_searches_and_revokes(operator_client, ca_hierarchy, verified_person):
    person = verified_person(name="王小二")
    first = issue_cloud_certificate(person.party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    second = issue_cloud_certificate(person.party, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    listing = operator_client.get("/backoffice/pki/certificate/", {"q": first.serial})
    assert listing.status_code == 200 and first.serial in listing.content.decode()
    assert second.serial not in listing.content.decode()
    assert operator_client.get(f"/backoffice/pki/certificate/{first.pk}/change/").status_code == 200

    action = {"action": "revoke_selected", "_selected_action": [first.pk, second.pk]}
    ask = operator_client.post("/backoffice/pki/certificate/", action)
    assert ask.status_code == 200 and "吊销原因" in ask.content.decode()
    missing = operator_client.post("/backoffice/pki/certificate/", {**action, "apply": "1"})
    assert "请选择吊销原因" in missing.content.decode()
    assert not Certificate.objects.filter(revoked_at__isnull=False).exists()
    done = operator_client.post("/backoffice/pki/certificate/", {**action, "apply": "1", "reason": "5"}, follow=True)
    assert "已吊销 2 张证书" in done.content.decode()
    assert Certificate.objects.filter(revocation_reason=5).count() == 2
    assert AuditEntry.objects.filter(event="certificate.revoke", actor_kind="operator").count() == 2


def test_back_office_ca_health_and_forced_crl(operator_client, ca_hierarchy):
    listing = operator_client.get("/backoffice/pki/certificateauthority/").content.decode()
    assert "issuing-rsa" in listing and "正常" in listing
    ca = CertificateAuthority.objects.get(ca_id="issuing-ecdsa")
    operator_client.post(
        "/backoffice/pki/certificateauthority/", {"action": "force_crl", "_selected_action": [ca.pk]}, follow=True
    )
    assert CertificateAuthority.objects.get(pk=ca.pk).crl_number == ca.crl_number + 1
    assert AuditEntry.objects.filter(event="pki.crl_issued", actor_kind="operator").exists()


def test_back_office_adds_trusted_roots(operator_client):
    root = pem(foreign_pki()["root"])  # type: ignore[arg-type]
    upload = SimpleUploadedFile("root.pem", root)
    response = operator_client.post(
        "/backoffice/pki/trustedroot/add/", {"name": "天威诚信", "enabled": "on", "certificate_file": upload}
    )
    assert response.status_code == 302
    added = TrustedRoot.objects.get()
    assert added.name == "天威诚信" and "Foreign Root CA" in added.subject
    assert AuditEntry.objects.filter(event="pki.trusted_root_add", actor_kind="operator").exists()
    again = operator_client.post(
        "/backoffice/pki/trustedroot/add/", {"name": "x", "certificate_file": SimpleUploadedFile("r.pem", root)}
    )
    assert again.status_code == 200 and "已登记" in again.content.decode()
    leaf = operator_client.post(
        "/backoffice/pki/trustedroot/add/", {"name": "x", "certificate_file": SimpleUploadedFile("r.pem", b"junk")}
    )
    assert "不是有效的 X.509 证书" in leaf.content.decode()
    assert TrustedRoot.objects.count() == 1


def test_demo_certificates_are_issued_once():
    from inkseal.accounts.demo import demo_step as accounts_step
    from inkseal.pki.demo import demo_step

    document: dict[str, object] = {}
    accounts_step(document)
    demo_step(document)
    certificates = document["certificates"]
    assert [(c["kind"], c["medium"], c["algorithm"]) for c in certificates] == [  # type: ignore[attr-defined]
        ("personal", "cloud", "ecdsa-p256"),
        ("enterprise", "cloud", "sm2"),  # the manual's 云企业双证书 (signing + encryption): the default
        ("enterprise", "cloud", "rsa-2048"),  # for documents international readers must validate
    ]
    assert certificates[0]["holder"] == "乔海朋" and certificates[1]["holder"] == "北京示范科技有限公司"  # type: ignore[index]
    dual = Certificate.objects.get(serial=certificates[1]["serial"])  # type: ignore[index]
    assert dual.pair() is not None and dual.pair().serial == certificates[1]["encryption_serial"]  # type: ignore[index,union-attr]
    demo_step(document)  # idempotent
    assert document["certificates"] == certificates
    assert Certificate.objects.count() == 5  # and the 待续期 one below


def test_demo_has_a_certificate_due_for_renewal():
    """续期 can be tried in the demo: one certificate is inside the renewal window (and renewable)."""
    from django.utils import timezone

    from inkseal.accounts.demo import demo_step as accounts_step
    from inkseal.pki.demo import demo_step
    from inkseal.pki.services import check_renewable
    from inkseal.pki.status import CertificateStatus, certificate_status

    document: dict[str, object] = {}
    accounts_step(document)
    demo_step(document)
    entry = document["renewal_due"]
    due = Certificate.objects.get(serial=entry["serial"])  # type: ignore[index]
    now = timezone.now()
    assert certificate_status(due, now=now) == CertificateStatus.RENEWAL_DUE
    check_renewable(due, now)  # raises if it cannot be renewed
    assert (entry["holder"], entry["algorithm"], due.medium) == ("乔海朋", "sm2", "cloud")  # type: ignore[index]
    demo_step(document)  # idempotent: still the same one
    assert document["renewal_due"] == entry


def test_the_demo_step_needs_the_people_first():
    from inkseal.pki.demo import demo_step

    with pytest.raises(RuntimeError):
        demo_step({})
