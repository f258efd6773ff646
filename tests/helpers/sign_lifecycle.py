"""For the kill -9 tests and bench/signing_kill_bench.py: run a sign task's confirmation in a
worker process of its own, kill it with SIGKILL at a chosen moment of the batch, and count what
the recovery must leave right (tasks not finished, signed documents without their 应用记录, seal
usage or audit row, finished tasks without their callback).

Not used by the application."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.pki.models import Certificate
from inkseal.platforms.models import TradingPlatform
from inkseal.seals.models import Seal, SealUsage
from inkseal.signing.models import CallbackDelivery, SignDocument, SigningRecord, SignTask, TaskStatus

_WORKER = """
import os, sys
import django
django.setup()
from django.test.utils import override_settings
from django.conf import settings
media = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": sys.argv[3]}}
with override_settings(STORAGES={**settings.STORAGES, "default": media}):
    from inkseal.core.acting import Acting
    from inkseal.signing.tasks.confirm import do_confirm_sign_task
    print("ready", flush=True)
    sys.stdin.readline()
    task = do_confirm_sign_task(sys.argv[1], "pin", sys.argv[2], acting=Acting.anonymous("127.0.0.1"))
    print(task.status, flush=True)
"""

TERMINAL = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.EXPIRED)


@dataclass(frozen=True)
class KillOutcome:
    killed: bool  # the worker was still signing the batch when SIGKILL reached it
    signed_before_kill: int  # documents of the task committed by then
    returncode: int  # -9 when killed
    stderr: str  # the end of the worker's error output (a worker that failed by itself says why)
    seconds: float  # from the claim to the kill (or to the worker's end)


def kill_worker_while_signing(
    token: str,
    pin: str,
    *,
    database_url: str,
    var_dir: str,
    media_dir: str,
    delay: float = 0.0,
    when: Callable[[SignTask], bool] | None = None,
) -> KillOutcome:
    """Start a worker that confirms the task of `token` with `pin` and signs its documents; once
    the task is claimed ("signing") and `when(task)` holds (polled every few milliseconds, at most
    a minute; e.g. documents_done(task) >= k, signed_file_stored(...)), wait `delay` seconds more
    and SIGKILL the worker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inkseal.settings",
        "INKSEAL_VAR_DIR": var_dir,  # the same secrets, keys and (without database_url) SQLite file
        "INKSEAL_FETCH_REVOCATION": "0",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    errors = tempfile.TemporaryFile("w+")
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, token, pin, media_dir],
        cwd=str(settings.BASE_DIR),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stdin is not None
        if worker.stdout.readline().strip() != "ready":
            worker.wait(30)
            errors.seek(0)
            raise RuntimeError(f"the signing worker did not start: {errors.read()[-2000:]}")
        worker.stdin.write("go\n")
        worker.stdin.flush()
        task = SignTask.objects.get(token_hash=_token_hash(token))
        deadline = time.monotonic() + 60
        while SignTask.objects.filter(pk=task.pk, status=TaskStatus.PENDING).exists():
            if worker.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        claimed = time.monotonic()
        if when is not None:
            while worker.poll() is None and time.monotonic() < claimed + 60 and not when(task):
                time.sleep(0.002)
        try:
            worker.wait(delay)  # a worker that finishes the batch sooner is not killed
        except subprocess.TimeoutExpired:
            pass
        seconds = time.monotonic() - claimed
        alive = worker.poll() is None
        if alive:
            os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        # the worker is dead: what the database says now is what it said at the kill
        signed = task.documents.filter(status=TaskStatus.COMPLETED).count()
        still_signing = SignTask.objects.filter(pk=task.pk, status=TaskStatus.SIGNING).exists()
        errors.seek(0)
        return KillOutcome(alive and still_signing, signed, worker.returncode, errors.read()[-2000:], seconds)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
        errors.close()


def documents_done(task: SignTask) -> int:
    """Documents of `task` committed (signed or failed) so far."""
    return task.documents.exclude(status=TaskStatus.PENDING).count()


def signed_file_stored(media_dir: str, task: SignTask, number: int) -> bool:
    """The signed file of document `number` of `task` is on disk (it may not be committed yet)."""
    from pathlib import Path

    pattern = f"signing/signed/*/*/{task.public_id}-{number}-signed*.pdf"
    return any(Path(media_dir).glob(pattern))


def _token_hash(token: str) -> str:
    from inkseal.signing.tasks.confirm import token_hash

    return token_hash(token)


@dataclass(frozen=True)
class BatchFigures:
    tasks: int
    non_terminal: int
    documents: int
    documents_signed: int
    documents_missing_rows: int  # signed without exactly one success record, its seal usage or its audit row
    tasks_without_callback: int
    orphaned_files: int  # signed files on disk that no committed document row references


def batch_invariants(tasks: QuerySet[SignTask]) -> BatchFigures:
    from inkseal.signing.tasks.storage_cleanup import uncommitted_signed_files

    non_terminal = tasks.exclude(status__in=TERMINAL).count()
    documents = signed = missing = without_callback = orphaned = 0
    for task in tasks.prefetch_related("documents"):
        orphaned += len(uncommitted_signed_files(task))
        if task.status in TERMINAL and task.callback_url and not CallbackDelivery.objects.filter(task=task).exists():
            without_callback += 1
        for document in task.documents.all():
            documents += 1
            successes = list(SigningRecord.objects.filter(document=document, result=SigningRecord.Result.SUCCESS))
            if document.status != TaskStatus.COMPLETED:
                missing += bool(successes)  # a success recorded for a document that is not signed
                continue
            signed += 1
            event = successes[0].event_id if len(successes) == 1 else None
            if (
                event is None
                or not document.signed
                or not SealUsage.objects.filter(event_id=event).exists()
                or AuditEntry.objects.filter(event="signing.sign", data__event_id=event).count() != 1
            ):
                missing += 1
    return BatchFigures(tasks.count(), non_terminal, documents, signed, missing, without_callback, orphaned)


# --- revoke/sign races (tests/signing/test_revocation_race.py, bench/signing_revoke_race_bench.py) ---


@dataclass(frozen=True)
class SuccessCheck:
    """How one successful signature looks after its certificate was revoked: its time stamp's
    genTime against the revocation time in our database, our OCSP answer and the issuing CA's
    CRL, and our verifier's verdict."""

    gen_time: datetime
    revoked_at: datetime
    ocsp_revocation_time: datetime | None
    crl_revocation_date: datetime | None
    verifier_says_revoked: bool

    @property
    def seen_revoked(self) -> bool:
        """Any of them says the certificate was already revoked when the signature was made."""
        return (
            self.verifier_says_revoked
            or self.revoked_at <= self.gen_time
            or (self.ocsp_revocation_time is not None and self.ocsp_revocation_time <= self.gen_time)
            or (self.crl_revocation_date is not None and self.crl_revocation_date <= self.gen_time)
        )


def check_success_after_revocation(document: SignDocument) -> SuccessCheck:
    """For a signed document whose certificate has been revoked since."""
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp

    from inkseal.pki.longterm import ocsp_request
    from inkseal.pki.responders import ocsp_responder
    from inkseal.signing.verification.services import verify_document

    certificate = Certificate.objects.select_related("issuer").get(pk=document.task.certificate_id)
    assert certificate.revoked_at is not None and certificate.issuer is not None
    with document.signed.open("rb") as handle:
        report = verify_document(handle.read())
    signature = next(s for s in report.signatures if s.report.kind == "signature")
    stamp = signature.report.timestamp
    assert stamp is not None and stamp.valid, "B-T signatures carry our time stamp"
    request = ocsp_request(bytes(certificate.der), bytes(certificate.issuer.certificate_der), certificate.issuer.family)
    answer = asn1_ocsp.OCSPResponse.load(ocsp_responder().respond(request))
    single = answer["response_bytes"]["response"].parsed["tbs_response_data"]["responses"][0]
    status = single["cert_status"]
    ocsp_time = status.chosen["revocation_time"].native if status.name == "revoked" else None
    crl_time = None
    certificate.issuer.refresh_from_db()
    assert certificate.issuer.crl_der is not None, "revoking republishes the issuing CA's CRL"
    crl = asn1_crl.CertificateList.load(bytes(certificate.issuer.crl_der))
    for entry in crl["tbs_cert_list"]["revoked_certificates"]:
        if entry["user_certificate"].native == int(certificate.serial, 16):
            crl_time = entry["revocation_date"].native
    return SuccessCheck(
        gen_time=stamp.time,
        revoked_at=certificate.revoked_at,
        ocsp_revocation_time=ocsp_time,
        crl_revocation_date=crl_time,
        verifier_says_revoked=signature.report.revocation == "revoked",
    )


def signer_certificate_like(
    template: Certificate, platform: TradingPlatform, phone: str, seals: list[Seal], pin: str
) -> Certificate:
    """A new ECDSA P-256 cloud certificate of `template`'s holder (a revoked one signs no more),
    with `seals` bound, authorised to `platform` for `phone` and protected by `pin`."""
    from datetime import timedelta

    from django.utils import timezone

    from inkseal.audit.services import Actor
    from inkseal.pki.algorithms import ECDSA_P256
    from inkseal.pki.pins import set_pin
    from inkseal.pki.services import issue_cloud_certificate
    from inkseal.platforms.services import do_authorize_certificate
    from inkseal.seals.services import do_bind_seal

    actor = Actor("system", "", "race")
    certificate = issue_cloud_certificate(template.holder, algorithm=ECDSA_P256, years=1, acting=Acting(actor))
    for seal in seals:
        do_bind_seal(seal, certificate, acting=Acting(actor))
    now = timezone.now()
    authorization = do_authorize_certificate(
        certificate,
        platform,
        grantee_name="王五",
        grantee_phone=phone,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=1),
        acting=Acting(actor),
    )
    prove_grantee_phone(authorization)
    set_pin(certificate, pin, acting=Acting(actor))
    return certificate


def prove_grantee_phone(authorization: Any) -> None:
    """The authorised person confirms the phone as they would: the link and code of the SMS
    (an authorisation is pending until then)."""
    import re

    from inkseal.notify.models import SmsMessage
    from inkseal.platforms.services import do_confirm_authorization

    if authorization.confirmed_at is not None:  # a verified user of that phone: active at once
        return
    sms = SmsMessage.objects.filter(phone=authorization.grantee_phone, purpose=f"grant:{authorization.pk}").first()
    assert sms is not None, "no confirmation SMS to the authorised person"
    token = re.search(r"/authorisations/confirm/([\w-]+)", sms.body)
    code = re.search(r"验证码为(\d{6})", sms.body)
    assert token and code
    do_confirm_authorization(token.group(1), code.group(1), acting=Acting.anonymous())


def revoke_sign_race(token: str, pin: str, certificate: Certificate, revoke_after: float | None) -> SignTask:
    """Confirm (and so sign) the task of `token` in one thread while another revokes its
    certificate `revoke_after` seconds after the confirmation started (None: no revocation);
    the task as it ended."""
    import threading

    from django.db import connection

    from inkseal.audit.services import Actor
    from inkseal.core.errors import DomainError
    from inkseal.pki.services import revoke_certificate
    from inkseal.signing.tasks.confirm import do_confirm_sign_task

    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sign() -> None:
        try:
            start.wait()
            do_confirm_sign_task(token, "pin", pin, acting=Acting.anonymous("127.0.0.1"))
        except DomainError:
            pass  # e.g. the PIN check found the certificate already revoked: the task stays pending
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def revoke() -> None:
        try:
            start.wait()
            if revoke_after is None:
                return
            time.sleep(revoke_after)
            revoke_certificate(certificate, reason=1, acting=Acting(Actor("system", "", "race")))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign), threading.Thread(target=revoke)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return SignTask.objects.get(token_hash=_token_hash(token))
