"""Time of the forms that read pictures, through their service functions, cold and warm.

    .venv/bin/python bench/forms_bench.py [--repeat 3]

A throwaway var dir and SQLite database; a verified administrator and, per submit, a fresh
enterprise (a submitted enterprise is under review and cannot submit again). The pictures are
what phones deliver: 3264x2448 JPEG photos of an ID card, of a business licence and of a
stamped 公章, drawn by the tests (tests/identity/licences.py, tests/seals/samples.py).

1. ID card check (企业实名认证, legal representative left blank so OCR reads it from the ID card):
   `enterprise_flows.check_application`;
2. business licence check (单位证件认证, the whole submit): `enterprise_flows.do_submit_licence`;
3. seal upload check (上传图章 of a 公章, its text checked against the enterprise name, and of a
   square 法定代表人章, read in four turns): `seals.services.do_upload_seal`.

"worker start" is what a gunicorn worker does once before its first request
(`inkseal.core.warmup.warm_up`, from the gunicorn hooks `inkseal serve` uses); "cold" is then each
form's first submit in the process, "warm" the median of --repeat more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["INKSEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="inkseal-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")
os.environ["INKSEAL_IDENTITY_OCR_PROVIDER"] = "inkseal.identity.providers.licence_ocr.OfflineOcrProvider"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import translation  # noqa: E402

from inkseal.accounts.identity import CurrentIdentity  # noqa: E402
from inkseal.accounts.models import (  # noqa: E402
    Enterprise,
    EnterpriseState,
    Membership,
    Party,
    Person,
    VerificationState,
)
from inkseal.core.acting import Acting, Actor  # noqa: E402
from inkseal.core.idnumbers import id_check_char, uscc_check_char  # noqa: E402
from inkseal.identity.enterprise_flows import EnterpriseApplication, check_application, do_submit_licence  # noqa: E402
from inkseal.seals.render import render_image  # noqa: E402
from inkseal.seals.render_spec import SealSpec  # noqa: E402
from inkseal.seals.services import do_upload_seal  # noqa: E402
from tests.identity import licences  # noqa: E402
from tests.seals.samples import on_paper  # noqa: E402

ACTING = Acting(Actor("system", "", "bench"), ip="203.0.113.9", identity="bench")
COMPANY = "北京天威诚信电子商务服务有限公司"
serials = count(1)


def id_number(serial: int) -> str:
    first17 = f"43052419900308{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def admin() -> Person:
    return Person.objects.create(
        party=Party.objects.create(kind=Party.Kind.PERSON),
        phone="13800000001",
        name="刘婧妍",
        verification_state=VerificationState.VERIFIED,
    )


def enterprise(person: Person, verified: bool = False) -> Enterprise:
    serial = next(serials)
    first17 = f"91110108MA02{serial:05d}"[:17]
    created = Enterprise.objects.create(
        party=Party.objects.create(kind=Party.Kind.ENTERPRISE),
        name=COMPANY if verified else f"示范科技有限公司{serial}",
        uscc=first17 + uscc_check_char(first17),
        created_by=person,
        legal_rep_name="张三丰",
        state=EnterpriseState.VERIFIED if verified else EnterpriseState.UNVERIFIED,
    )
    Membership.objects.create(person=person, enterprise=created, role=Membership.Role.ADMIN)
    return created


def application(company: Enterprise, id_front: bytes, id_back: bytes, typed: bool) -> EnterpriseApplication:
    return EnterpriseApplication(
        name=company.name,
        enterprise_type="enterprise",
        uscc=company.uscc,
        legal_rep_name="张法人" if typed else "",
        legal_rep_id_number=id_number(40) if typed else "",
        id_front=id_front,
        id_back=id_back,
        agreements=["service", "privacy", "biometrics"],
    )


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    try:
        action()
    except Exception as error:  # a refusal still took the time; say so
        print(f"    ({type(error).__name__}: {error})")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    translation.activate("zh-hans")
    call_command("migrate", verbosity=0)
    person = admin()
    front = licences.phone_id_card("刘婧妍", id_number(41))
    back = licences.phone_id_card("国徽面", id_number(42), seed=5)
    licence = licences.phone_photo(licences.licence(1), seed=1)
    seal = on_paper(render_image(SealSpec("official", COMPANY)), angle=12, seed=3, seal_px=1400, size=(3264, 2448))
    square = on_paper(
        render_image(SealSpec("legal_representative", "张三丰")), angle=-7, seed=6, seal_px=700, size=(3264, 2448)
    )
    print(f"pictures: ID card {len(front) // 1024} KB, licence {len(licence) // 1024} KB, seal {len(seal) // 1024} KB")

    forms: dict[str, Callable[[], object]] = {
        "ID card check (OCR of the legal rep)": lambda: check_application(
            person, (company := enterprise(person)), application(company, front, back, typed=False)
        ),
        "business licence check (submit)": lambda: do_submit_licence(
            person,
            (company := enterprise(person)),
            application(company, front, back, typed=True),
            licence,
            acting=ACTING,
        ),
        "seal upload check (公章)": lambda: do_upload_seal(
            CurrentIdentity(person, enterprise(person, verified=True), "admin"),
            "official",
            seal,
            acting=ACTING,
            risk_acknowledged=True,
        ),
        "seal upload check (法定代表人章, square)": lambda: do_upload_seal(
            CurrentIdentity(person, enterprise(person, verified=True), "admin"),
            "legal_representative",
            square,
            acting=ACTING,
            risk_acknowledged=True,
        ),
    }
    try:
        from inkseal.core.warmup import warm_up
    except ImportError:  # before the warm-up existed: the first submit loads everything
        print("worker start: (no warm-up)")
    else:
        print(f"worker start: warm-up {seconds(warm_up):.2f} s")
    print(f"{'form':<40} {'cold':>8} {'warm (median)':>14}")
    for label, submit in forms.items():
        cold = seconds(submit)
        warm = statistics.median(seconds(submit) for _ in range(repeat))
        print(f"{label:<40} {cold:7.2f}s {warm:13.2f}s")


if __name__ == "__main__":
    main()
