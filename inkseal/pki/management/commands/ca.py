"""`inkseal ca init|list|issue-crl [--ca ID]|revoke <serial> --reason <reason>` for operators."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.pki.authority_setup import ensure_hierarchy
from inkseal.pki.crl import SUBSCRIBER_REASONS
from inkseal.pki.crl_publishing import issue_crl, refresh_crls
from inkseal.pki.models import Certificate, CertificateAuthority
from inkseal.pki.services import revoke_certificate

REASONS = {reason.name.lower().replace("_", "-"): reason for reason in SUBSCRIBER_REASONS}


def _actor() -> Actor:
    return Actor("operator", "", f"cli:{getpass.getuser()}")


def normalise_serial(text: str) -> str:
    serial = text.strip().lower().removeprefix("0x").replace(":", "").lstrip("0")
    try:
        int(serial or "0", 16)
    except ValueError:
        raise CommandError(f"not a hexadecimal serial: {text}")
    return serial or "0"


class Command(BaseCommand):
    help = "CA operations: create the hierarchy, list CAs, publish CRLs, revoke a certificate."
    requires_system_checks: list[str] = []  # checks load every URL module (pyHanko, OpenCV): seconds

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("init", help="create the CA hierarchy (idempotent; renews OCSP responder certificates due)")
        actions.add_parser("list", help="list the CAs with their CRL and OCSP state")
        crl = actions.add_parser("issue-crl", help="publish CRLs now (all CAs, or --ca ID); run it from cron")
        crl.add_argument("--ca", dest="ca_id", help="CA id, e.g. issuing-rsa")
        revoke = actions.add_parser("revoke", help="revoke a certificate by its serial (hex)")
        revoke.add_argument("serial")
        revoke.add_argument("--reason", required=True, choices=sorted(REASONS))
        revoke.add_argument("--ca", dest="ca_id", help="issuing CA id, when the serial is not unique")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")

    def _init(self, options: dict[str, Any]) -> None:
        changed = ensure_hierarchy(acting=Acting(_actor()))
        self.stdout.write(self.style.SUCCESS(f"created or renewed: {', '.join(changed)}" if changed else "up to date"))
        self._list(options)

    def _list(self, options: dict[str, Any]) -> None:
        header = (
            f"{'id':<16} {'role':<8} {'algorithm':<11} {'not after':<11} {'CRL':>5} {'next update':<17} OCSP signer"
        )
        self.stdout.write(header)
        for ca in CertificateAuthority.objects.filter(active=True):
            next_update = (
                timezone.localtime(ca.crl_next_update).strftime("%Y-%m-%d %H:%M") if ca.crl_next_update else "-"
            )
            ocsp = f"until {ca.ocsp_not_after:%Y-%m-%d}" if ca.ocsp_not_after else "-"
            self.stdout.write(
                f"{ca.ca_id:<16} {ca.role:<8} {ca.algorithm:<11} {ca.not_after:%Y-%m-%d} "
                f"{ca.crl_number:>5} {next_update:<17} {ocsp}"
            )

    def _issue_crl(self, options: dict[str, Any]) -> None:
        if options["ca_id"]:
            ca = CertificateAuthority.objects.filter(ca_id=options["ca_id"]).first()
            if ca is None or ca.role == CertificateAuthority.Role.TSA:
                raise CommandError(f"no CA {options['ca_id']}")
            ca = issue_crl(ca, acting=Acting(_actor()))
            self.stdout.write(self.style.SUCCESS(f"{ca.ca_id}: CRL #{ca.crl_number}, next update {ca.crl_next_update}"))
            return
        done = refresh_crls(force=True, acting=Acting(_actor()))
        self.stdout.write(self.style.SUCCESS(f"CRLs published: {', '.join(done) or 'none'}"))

    def _revoke(self, options: dict[str, Any]) -> None:
        matches = Certificate.objects.filter(serial=normalise_serial(options["serial"]), issuer__isnull=False)
        if options["ca_id"]:
            matches = matches.filter(issuer__ca_id=options["ca_id"])
        found = list(matches[:2])
        if not found:
            raise CommandError(f"no certificate with serial {options['serial']}")
        if len(found) > 1:
            raise CommandError("serial is not unique: add --ca <issuing CA id>")
        certificate = revoke_certificate(found[0], reason=REASONS[options["reason"]], acting=Acting(_actor()))
        self.stdout.write(
            self.style.SUCCESS(f"revoked {certificate.serial} at {certificate.revoked_at:%Y-%m-%d %H:%M:%S}")
        )
