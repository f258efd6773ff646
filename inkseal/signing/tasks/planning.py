"""Planning a document: which certificate and seals sign it, where each seal goes, and the overlays the
confirm page draws."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.db.rows import unique_row
from inkseal.core.errors import DomainError
from inkseal.pki.algorithms import SM2
from inkseal.pki.models import Certificate
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import authorization_by_serial
from inkseal.seals.errors import SealNotBound
from inkseal.seals.models import Seal, SealState
from inkseal.seals.services import is_bound, seal_stamp, stamp_of
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.errors import PdfTooComplex
from inkseal.signing.core.ofd.errors import (
    OfdCertificateNotSm2,
    OfdDuplicateEntry,
    OfdError,
    OfdUnsafePath,
    OfdZipBomb,
)
from inkseal.signing.core.placement import Placement
from inkseal.signing.models import SignDocument
from inkseal.signing.parsing import budget, inspection

log = logging.getLogger(__name__)


def find_certificate(
    serial: str, platform: TradingPlatform, phone: str
) -> tuple[Certificate, CertificateAuthorization]:
    """The certificate `serial` and its authorisation to `platform` for `phone` now (one query);
    the same refusal otherwise (a platform learns nothing about certificates not authorised to it)."""
    authorization = authorization_by_serial(serial, platform, phone)
    return authorization.certificate, authorization


def seal_for_placement(certificate: Certificate, seal_type: str) -> tuple[Seal, SealImage]:
    """The holder's active seal of `seal_type` bound to `certificate` (one query when it is);
    otherwise seal_stamp and is_bound say why not."""
    seal = unique_row(
        Seal.objects.filter(
            owner_id=certificate.holder_id, kind=seal_type, state=SealState.ACTIVE, bindings__certificate=certificate
        )
    )
    if seal is None:
        seal, _stamp = seal_stamp(certificate.holder, seal_type)
        if not is_bound(seal, certificate):
            raise SealNotBound(_("%(type)s未绑定到该证书。") % {"type": seal.get_kind_display()})
    stamp = stamp_of(seal)
    return seal, SealImage(stamp.png, stamp.width_mm, stamp.height_mm)


def check_ofd_signer(certificate: Certificate) -> None:
    """OFD documents are sealed with GB/T 38540 electronic seals: SM2 certificates only (an RSA
    or ECDSA certificate is refused when the task is created, before anything is stored)."""
    if certificate.algorithm != SM2.name:
        raise OfdCertificateNotSm2(algorithm=certificate.algorithm)


def placements_for(
    certificate: Certificate,
    specs: Sequence[dict[str, Any]],
    seen: dict[str, tuple[Seal, SealImage]] | None = None,
) -> tuple[list[Placement], list[Seal]]:
    """The placements of `specs` with their seals (one query per seal type; `seen` keeps them
    across the documents of a task: a signing's commit checks each seal again under its lock)."""
    placements, seals = [], []
    seen = {} if seen is None else seen
    for spec in specs:
        if spec["seal_type"] not in seen:
            seen[spec["seal_type"]] = seal_for_placement(certificate, spec["seal_type"])
        seal, image = seen[spec["seal_type"]]
        try:
            placements.append(Placement.from_spec(spec, image))
        except DomainError as exc:
            raise exc.localised()
        seals.append(seal)
    return placements, seals


@dataclass(frozen=True)
class Overlay:
    """Where a seal lands, on the displayed page, in fractions of the page (for previews)."""

    page: int  # 1-based
    left: float
    top: float
    width: float
    height: float
    seal_type: str
    seal_box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # the picture in the box: WidgetArt.seal_box
    cross_page: bool = False  # a slice of a 骑缝章


def plan_document(
    data: bytes | BinaryIO, placements: Sequence[Placement], seal_types: Sequence[str]
) -> tuple[int, list[Overlay]]:
    """Resolve the placements against the PDF without signing (pages, keywords, off-page seals):
    (page count, overlays). The upload is read in a parser process under the parsing budget
    (inkseal.signing.parsing.budget); raises the core's errors, in the user's language."""
    try:
        plan = budget.run(inspection.plan, pdf_source(data), list(placements), settings.SIGN_MAX_PAGES)
    except DomainError as exc:
        raise exc.localised()
    overlays = [
        Overlay(
            seal.page,
            seal.left,
            seal.top,
            seal.width,
            seal.height,
            seal_types[seal.placement],
            seal.seal_box,
            seal.cross_page,
        )
        for seal in plan.seals
    ]
    return plan.pages, overlays


def plan_ofd_document(
    data: bytes | BinaryIO, placements: Sequence[Placement], seal_types: Sequence[str]
) -> tuple[int, list[Overlay]]:
    """plan_document for an OFD package (read and resolved under the parsing budget, OfdError,
    placement errors in the user's language); the overlays are the visible part of each stamp."""
    try:
        plan = budget.run(inspection.plan_ofd, pdf_source(data), list(placements), settings.SIGN_MAX_PAGES)
    except DomainError as exc:
        raise exc.localised()
    overlays = [
        Overlay(s.page, s.left, s.top, s.width, s.height, seal_types[s.placement], s.seal_box, s.cross_page)
        for s in plan.seals
    ]
    return plan.pages, overlays


def page_png(document: SignDocument, page: int) -> bytes:
    """The confirm page's preview of a page of `document`, rendered under the parsing budget."""
    try:
        return budget.run(inspection.page_png, pdf_source(document.original), page)
    except DomainError as exc:
        raise exc.localised()


def record_budget_exceeded(exc: PdfTooComplex, acting: Acting, entry: str, **context: str) -> None:
    """A PDF that ran past the parsing budget is a likely attack: audited (who, from where, which
    limit, `context` such as the task), in a transaction of its own (the refusal changes nothing)."""
    with transaction.atomic():
        record(events.PDF_BUDGET_EXCEEDED, **acting.audit(), target=entry, data={**exc.details, **context})


HOSTILE_OFD = (OfdZipBomb, OfdUnsafePath, OfdDuplicateEntry)  # refusals that are likely attacks


def record_hostile_ofd(exc: OfdError, acting: Acting, entry: str) -> None:
    """An OFD package built to attack its reader (a zip bomb, `../` entries, two entries of one
    name) is audited like a PDF past its budget: who, from where, which refusal; in a
    transaction of its own (the refusal changes nothing)."""
    with transaction.atomic():
        record(events.OFD_HOSTILE_PACKAGE, **acting.audit(), target=entry, data={"code": exc.code, **exc.details})


def pdf_source(data: bytes | BinaryIO | FieldFile) -> inspection.Source:
    """What a parser process reads: the file's path when it is on disk (a spooled upload, a
    stored original), its bytes otherwise."""
    path = getattr(data, "temporary_file_path", None)
    if callable(path):
        return str(path())
    if isinstance(data, FieldFile):
        try:
            return str(data.path)
        except NotImplementedError:  # storage without local files
            with data.open("rb") as handle:
                return bytes(handle.read())
    if isinstance(data, bytes):
        return data
    data.seek(0)
    return data.read()
