"""Refusals of the PDF signing core, each with a stable code (see inkseal.core.errors)."""

from __future__ import annotations

from inkseal.core.errors import DomainError


class PdfError(DomainError):
    """The uploaded file cannot be signed as it is."""

    code = "pdf_invalid"


class PdfMalformed(PdfError):
    code = "pdf_malformed"


class PdfNotPdf(PdfMalformed):
    code = "pdf_not_pdf"


class PdfTruncated(PdfMalformed):
    code = "pdf_truncated"


class PdfTooComplex(PdfError):
    """Reading the PDF needed more CPU time, wall-clock time or memory than its budget allows."""

    code = "pdf_too_complex"
    status = 422


class PdfParserBusy(PdfError):
    """Every parse slot of this web process is taken (PDF_PARSE_CONCURRENCY) and none freed within
    PDF_PARSE_QUEUE_SECONDS: try again shortly (503 with Retry-After)."""

    code = "pdf_parser_busy"
    status = 503


class PdfEncrypted(PdfError):
    """Encrypted and no (or a wrong) password was given."""

    code = "pdf_encrypted"


class PdfTooLarge(PdfError):
    code = "pdf_too_large"
    status = 413


class PdfTooManyPages(PdfError):
    code = "pdf_too_many_pages"


class PdfLocked(PdfError):
    """An existing certification signature forbids any further change."""

    code = "pdf_locked"
    status = 409


class FormAppearanceUnavailable(PdfError):
    """The form leaves drawing its fields to the viewer, and they could not be drawn for good
    before signing: signing would make the document show something else than the signer saw."""

    code = "pdf_form_appearance_unavailable"
    status = 422


class PlacementError(DomainError):
    code = "placement_invalid"


class PageOutOfRange(PlacementError):
    code = "placement_page_out_of_range"


class PlacementOffPage(PlacementError):
    code = "placement_off_page"


class KeywordNotFound(PlacementError):
    code = "placement_keyword_not_found"


class SealImageInvalid(DomainError):
    code = "seal_image_invalid"


class SignerUnsupported(DomainError):
    code = "signer_unsupported"


class SignerCertificateInvalid(DomainError):
    """The signer's certificate does not validate (untrusted, expired, revoked) at signing time."""

    code = "signer_certificate_invalid"
    status = 409


class TimestampFailed(DomainError):
    """The time-stamping authority did not answer with a usable token."""

    code = "timestamp_failed"
    status = 503


class RevocationInfoUnavailable(DomainError):
    """B-LT asked for, but the OCSP/CRL data to embed could not be gathered."""

    code = "revocation_info_unavailable"
    status = 503
