"""Sealing PDFs: PAdES baseline signatures (B-B, B-T, B-LT, B-LTA) with a seal as appearance.

Pure functions, no Django. Each placement becomes one signature, appended as an incremental
update after the previous one; the document's existing bytes (and signatures) are untouched.

DocMDP choice: approval signatures by default (`docmdp=None`). Any DocMDP lock, certification
P=2 or P=3 alike, makes pyHanko's (strict) difference analysis reject a *new visible* signature
field added later, so a second sealing task or a counter-party signing afterwards would make
the first seal look broken to that validator (Acrobat accepts it). Approval signatures still
protect what they cover: content changes after signing show as modification level "other"
and the verification report marks the signature invalid. When the caller knows the document is
final for this workflow (a bid file nobody signs after the bidder), `docmdp=MDPPerm.FILL_FORMS`
makes the first seal a certification signature (P=2: form filling and signing only; P=3 was
rejected because it lets anyone add a stamp annotation or a white box over the text); the
other seals of the same call stay valid because all their fields are created in the first
revision and only filled later. Documents already signed always get approval signatures; a
P=1 certification refuses any change (`PdfLocked`).

Forms that leave drawing their fields to the viewer (/NeedAppearances) get those appearances
written into the first revision (inkseal.signing.core.formdraw): signing drops the flag, and the file
must go on showing what the signer saw. SM2 signers make the same signatures, with the same
levels, labelled GM/T 0010 rather than PAdES (/SubFilter /GM.sm2cms.detached, see gmcms).
"""

from __future__ import annotations

import asyncio
import enum
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import constants
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigMDPSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import SignatureObject
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.path import ValidationPath

from inkseal.signing.core import (
    fastparse,  # noqa: F401  (pyHanko reads hex strings a block at a time)
    gmcms,
)
from inkseal.signing.core.appearance import DocumentImages, date_label, format_seal_date
from inkseal.signing.core.document import (
    DEFAULT_MAX_PAGES,
    UNREADABLE,
    Document,
    Source,
    open_document,
    open_writer,
    working_copy,
)
from inkseal.signing.core.errors import (
    PdfLockedForAnnotations,
    PdfMalformed,
    PlacementMissing,
)
from inkseal.signing.core.fields import apply_appearance, create_signature_fields, find_field, unique_field_names
from inkseal.signing.core.formdraw import draw_form_fields
from inkseal.signing.core.pdfium_lock import PDFIUM_LOCK
from inkseal.signing.core.placement import Placement, PlacementPlan, Planner
from inkseal.signing.core.revinfo import collect_validation_paths
from inkseal.signing.core.signer import SealSigner, SignatureAlgorithm
from inkseal.signing.parsing.budget import Budget, guarded

logger = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
MD = "sha256"


class PadesLevel(enum.Enum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        return list(PadesLevel).index(self)

    @property
    def needs_timestamper(self) -> bool:
        return self.rank >= PadesLevel.B_T.rank

    @property
    def needs_revocation_info(self) -> bool:
        return self.rank >= PadesLevel.B_LT.rank


@dataclass(frozen=True)
class SealRequest:
    """What to do to a document: who seals, where, at which PAdES level, under which limits."""

    signer: SealSigner
    placements: Sequence[Placement]
    pades_level: PadesLevel = PadesLevel.B_T
    timestamper: TimeStamper | None = None  # B-T and above (pyHanko HTTPTimeStamper in production)
    validation_context: ValidationContext | None = None  # B-LT and above: roots, OCSP/CRLs or fetching
    field_name_prefix: str = "Seal"
    reason: str | None = None
    location: str | None = None
    password: str | None = None
    docmdp: MDPPerm | None = None  # see the module docstring
    signing_time: datetime | None = None
    tz: tzinfo = CHINA
    max_pages: int = DEFAULT_MAX_PAGES
    max_bytes: int | None = None
    repair: bool = True
    budget: Budget | None = None  # CPU and wall clock of opening and sealing (inkseal.signing.parsing.budget.guarded)

    def __post_init__(self) -> None:
        level = PadesLevel(self.pades_level)
        object.__setattr__(self, "pades_level", level)
        if not self.placements:
            raise PlacementMissing("at least one placement is needed")
        if level.needs_timestamper and self.timestamper is None:
            raise ValueError(f"PAdES {level.value} needs a timestamper")
        if level.needs_revocation_info and self.validation_context is None:
            raise ValueError(f"PAdES {level.value} needs a validation context")


def sign_pdf(
    source: Source,
    *,
    signer: SealSigner,
    placements: Sequence[Placement],
    pades_level: PadesLevel | str = PadesLevel.B_T,
    timestamper: TimeStamper | None = None,
    validation_context: ValidationContext | None = None,
    field_name_prefix: str = "Seal",
    reason: str | None = None,
    location: str | None = None,
    password: str | None = None,
    output: BinaryIO | None = None,
    docmdp: MDPPerm | None = None,
    signing_time: datetime | None = None,
    tz: tzinfo = CHINA,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_bytes: int | None = None,
    repair: bool = True,
    budget: Budget | None = None,
) -> bytes | BinaryIO:
    """Apply every placement as its own PAdES signature; return the signed PDF.

    `source` is bytes, a path or a binary stream. Returns bytes, or `output` (rewound) when an
    output stream is given: with a file opened "w+b" as `output` and a path or file as
    `source`, memory use does not grow with the document. See `SealRequest` for the options.
    """
    request = SealRequest(
        signer=signer,
        placements=placements,
        pades_level=PadesLevel(pades_level),
        timestamper=timestamper,
        validation_context=validation_context,
        field_name_prefix=field_name_prefix,
        reason=reason,
        location=location,
        password=password,
        docmdp=docmdp,
        signing_time=signing_time,
        tz=tz,
        max_pages=max_pages,
        max_bytes=max_bytes,
        repair=repair,
        budget=budget,
    )
    # the event loop only ever sees the stream: asyncio.run's SIGINT bookkeeping formats the
    # task's repr (result included), which for a bytes result would copy the whole document
    return _result(asyncio.run(seal_into(source, request, output)), output)


async def async_sign_pdf(source: Source, request: SealRequest, output: BinaryIO | None = None) -> bytes | BinaryIO:
    """`sign_pdf` for callers already inside an event loop."""
    return _result(await seal_into(source, request, output), output)


async def seal_into(source: Source, request: SealRequest, output: BinaryIO | None) -> BinaryIO:
    """Seal into the working stream (`output`, or a new BytesIO) and return that stream."""
    level = PadesLevel(request.pades_level)
    stamper = request.timestamper if level.needs_timestamper else None
    paths = await collect_validation_paths(request.signer, stamper, request.validation_context)
    work = working_copy(source, output, request.max_bytes)
    try:
        with guarded(request.budget) if request.budget else nullcontext():
            document = open_document(
                work, password=request.password, max_pages=request.max_pages, repair=request.repair
            )
            session = _Session(request, document, stamper)
            await session.seal_all()
            if level.needs_revocation_info:
                assert request.validation_context is not None
                archive = level is PadesLevel.B_LTA
                digest = request.signer.digest_algorithm  # the archive time stamp's imprint: SM3 for SM2 (GM/T 0033)
                await add_long_term_data(
                    work, document.password, paths, request.validation_context, stamper, archive, digest=digest
                )
    except UNREADABLE as exc:
        # pyHanko rewrites the objects it touches (page, AcroForm): damage there shows only now
        logger.warning("sealing failed on a damaged PDF: %r", exc)
        raise PdfMalformed(f"the PDF structure is damaged: {exc!r}"[:300]) from exc
    return work


def _result(work: BinaryIO, output: BinaryIO | None) -> bytes | BinaryIO:
    if output is None:
        assert isinstance(work, io.BytesIO)
        return work.getvalue()
    output.seek(0)
    return output


class _Session:
    """One document being sealed: successive incremental signatures on one stream."""

    def __init__(self, request: SealRequest, document: Document, timestamper: TimeStamper | None):
        self.request = request
        self.signer = request.signer
        self.document = document
        self.timestamper = timestamper
        self.moment = (request.signing_time or datetime.now(request.tz)).astimezone(request.tz)

    async def seal_all(self) -> None:
        request, document = self.request, self.document
        # /Contents is hex: two characters a byte
        reserved = 2 * await self.signer.async_contents_bound(self.timestamper)
        writer = document.writer
        plans = self._plan(writer, request.placements)
        _check_annotations_allowed(document, plans)
        names = unique_field_names(writer, request.field_name_prefix, len(plans))
        draw_form_fields(writer, document.stream, document.password, signed=document.signed)
        images = DocumentImages(writer, soft_masks=document.pdfa_part != 1)
        create_signature_fields(writer, images, plans, names)
        pades = self.signer.algorithm is not SignatureAlgorithm.SM2_SM3
        if pades and document.pdfa_part != 1:  # PDF/A-1 is PDF 1.4: keep its version and catalog as they are
            _register_pades_extension(writer)
        certify_with = request.docmdp if not document.signed else None
        for number, (plan, name) in enumerate(zip(plans, names, strict=True)):
            if number:
                writer = open_writer(document.stream, document.password)
                images.writer = writer
            await self._sign_field(writer, images, plan, name, reserved, certify_with if number == 0 else None)

    def _plan(self, writer: IncrementalPdfFileWriter, placements: Sequence[Placement]) -> list[PlacementPlan]:
        date = date_label(format_seal_date(self.moment)) if any(p.show_date for p in placements) else None
        with _text_document(self.document) as open_text:
            return Planner(writer, open_text, date, self.document.pages).plan(placements)

    async def _sign_field(
        self,
        writer: IncrementalPdfFileWriter,
        images: DocumentImages,
        plan: PlacementPlan,
        name: str,
        reserved: int,
        certify_with: MDPPerm | None,
    ) -> None:
        apply_appearance(writer, images, find_field(writer, name), plan)
        placeholder = SignatureObject(
            timestamp=self.moment,
            subfilter=SigSeedSubFilter.PADES,
            reason=self.request.reason,
            location=self.request.location,
            bytes_reserved=reserved,
        )
        if self.signer.algorithm is SignatureAlgorithm.SM2_SM3:  # not PAdES: see inkseal.signing.core.gmcms
            placeholder[pdf_name("/Filter")] = pdf_name(gmcms.GM_PDF_FILTER)
            placeholder[pdf_name("/SubFilter")] = pdf_name(gmcms.GM_PDF_SUBFILTER)
        md = self.signer.digest_algorithm  # SHA-256; SM3 for SM2 certificates
        mdp = SigMDPSetup(md_algorithm=md, certify=certify_with is not None, docmdp_perms=certify_with)
        embedder = PdfCMSEmbedder().write_cms(field_name=name, writer=writer, existing_fields_only=True)
        next(embedder)
        embedder.send(SigObjSetup(sig_placeholder=placeholder, mdp_setup=mdp))
        prepared, _ = embedder.send(SigIOSetup(md_algorithm=md, in_place=True))
        cms = await self.signer.async_cms(prepared.document_digest, timestamper=self.timestamper)
        embedder.send(cms)


def _check_annotations_allowed(document: Document, plans: Sequence[PlacementPlan]) -> None:
    """Cross-page slices are annotations, which an existing P<=2 certification forbids."""
    certified = document.certification is not None and document.certification < MDPPerm.ANNOTATE
    if certified and any(plan.stamps for plan in plans):
        raise PdfLockedForAnnotations(
            "the document's certification forbids annotations, so no cross-page seal can be added"
        )


@contextmanager
def _text_document(document: Document) -> Iterator[Any]:
    """Lazily opened PDFium view of the document, for keyword search; closed afterwards."""
    opened: list[pdfium.PdfDocument] = []

    def open_text() -> pdfium.PdfDocument:
        if not opened:
            PDFIUM_LOCK.acquire()  # held until the document is closed below
            document.stream.seek(0)
            try:
                opened.append(pdfium.PdfDocument(document.stream, password=document.password))
            except BaseException:
                PDFIUM_LOCK.release()
                raise
        return opened[0]

    try:
        yield open_text
    finally:
        for pdf in opened:
            pdf.close()
            PDFIUM_LOCK.release()


def _register_pades_extension(writer: IncrementalPdfFileWriter) -> None:
    """ETSI ESIC developer extension, as PAdES asks of PDF 1.7 documents."""
    writer.ensure_output_version(version=(1, 7))
    if writer.output_version < (2, 0):
        writer.register_extension(constants.ESIC_EXTENSION_1)


async def add_long_term_data(
    stream: BinaryIO,
    password: str | None,
    paths: list[ValidationPath],
    validation_context: ValidationContext,
    timestamper: TimeStamper | None,
    archive_timestamp: bool,
    *,
    digest: str = MD,
) -> None:
    """B-LT: one DSS revision with the chains, OCSP responses and CRLs; B-LTA: plus a document time
    stamp over the `digest` of the document."""
    writer = open_writer(stream, password)
    DocumentSecurityStore.supply_dss_in_writer(
        writer,
        sig_contents=None,
        paths=paths,
        ocsps=validation_context.ocsps,
        crls=validation_context.crls,
        validation_context=validation_context,
        embed_roots=True,
    )
    if archive_timestamp and timestamper is not None:
        await PdfTimeStamper(timestamper).async_timestamp_pdf(writer, digest, in_place=True)
    else:
        writer.write_in_place()
