"""The sign task's contract with platforms, typed: the `spec` a platform sends (with its three kinds
of placement), and the one serializer of a task that the API response, the confirm page's JSON and
the callback body are cut from. The OpenAPI document is generated from these models, so it
describes every field the code checks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.conf import settings
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, Tag

from inkseal.seals.models import SealType
from inkseal.signing.models import SignTask


def _clipped(limit: int) -> BeforeValidator:
    """Text fields are trimmed and cut to their column's size; anything but a string reads as
    empty (the check that needs the value then says it is missing)."""
    return BeforeValidator(lambda value: value.strip()[:limit] if isinstance(value, str) else "")


SealTypeCode = Literal["official", "legal_representative", "contract", "finance", "name", "handwriting"]
assert set(SealTypeCode.__args__) == set(SealType.values)  # type: ignore[attr-defined]


class _Placement(BaseModel):
    model_config = ConfigDict(extra="allow")  # unknown keys are kept and ignored, as before

    seal_type: SealTypeCode = Field(description="Which of the signer's seals: 公章, 法定代表人章, 合同专用章…")
    date: bool = Field(False, description="Draw the signing date under the seal (also accepted as `show_date`).")


class PointPlacement(_Placement):
    """The seal's centre at (x, y) on a page, in the file's own unit and axes: for a PDF, PDF points
    (1/72 inch) from the page's lower-left corner; for an OFD, millimetres from the page's top-left
    corner, y downwards (GB/T 33190)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"seal_type": "official", "page": 1, "x": 420, "y": 160}]},
    )

    page: Any = Field(description="Page number, from 1.", json_schema_extra={"type": "integer", "minimum": 1})
    x: Any = Field(
        description="Centre x: PDF points from the left edge (PDF); millimetres from the left edge (OFD).",
        json_schema_extra={"type": "number"},
    )
    y: Any = Field(
        description="Centre y: PDF points up from the bottom edge (PDF); millimetres down from the top edge (OFD).",
        json_schema_extra={"type": "number"},
    )


class KeywordPlacement(_Placement):
    """The seal centred on a word of the page's text (the first or every occurrence), moved by
    `offset` (PDF points for a PDF, millimetres for an OFD). In an OFD the text of its TextCode
    elements is searched, a word split over several TextCodes included."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"seal_type": "official", "keyword": "投标人（盖章）", "offset": [60, 0]}]},
    )

    keyword: str = Field(min_length=1, description="Text to find on the pages.")
    occurrence: Any = Field(
        "first", description="`first` or `all`.", json_schema_extra={"enum": ["first", "all"], "type": "string"}
    )
    offset: Any = Field(
        None,
        description=(
            "[dx, dy] from the keyword's centre: PDF points, y upwards (PDF); millimetres, y downwards (OFD)."
        ),
        json_schema_extra={"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    )


class CrossPagePlacement(_Placement):
    """骑缝章: the seal cut into slices, one on the right edge of every page (in an OFD: one
    signature with one clipped StampAnnot per page)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"seal_type": "official", "cross_page": True, "y": 400}]},
    )

    cross_page: Literal[True]
    y: Any = Field(
        None,
        description=(
            "Height of the slices' centre (default: mid-page): PDF points up from the bottom edge (PDF); "
            "millimetres down from the top edge (OFD)."
        ),
    )


def placement_kind(value: Any) -> str | None:
    """Which kind a placement object is, from its keys (the API has no `type` field)."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return None
    if value.get("cross_page"):
        return "cross_page"
    if value.get("keyword"):
        return "keyword"
    if {"page", "x", "y"} <= value.keys():
        return "point"
    return None


Placement = Annotated[
    Annotated[PointPlacement, Tag("point")]
    | Annotated[KeywordPlacement, Tag("keyword")]
    | Annotated[CrossPagePlacement, Tag("cross_page")],
    Discriminator(placement_kind),
]


class DocumentIn(BaseModel):
    file: int | None = Field(None, description="Index into `files`, from 0 (default: the next file).")
    placements: list[Placement] = Field(
        min_length=1,
        description=(
            "Where each seal goes; at least one. Each placement is one signature; in an OFD, successive "
            'GB/T 38540 seals (Type="Seal") in the order given.'
        ),
    )


class Signer(BaseModel):
    certificate_serial: Annotated[str, _clipped(64)] = Field(
        "", description="Serial of the authorised certificate, hex.", examples=["4f1a…"]
    )


class Confirmer(BaseModel):
    phone: Annotated[str, _clipped(20)] = Field("", description="The authorised person's phone; gets the SMS code.")


class SignTaskSpec(BaseModel):
    """The `spec` part of POST /api/v1/sign-tasks (a JSON object in a multipart field)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "signer": {"certificate_serial": "4f1a2b"},
                    "confirmer": {"phone": "13800000000"},
                    "documents": [{"file": 0, "placements": [{"seal_type": "official", "keyword": "投标人（盖章）"}]}],
                    "pades_level": "B-T",
                    "business_type": "bid",
                    "business_id": "ZB-2026-0001",
                    "callback_url": "https://portal.example.com/sign-callback",
                    "return_url": "https://portal.example.com/bids/1",
                }
            ]
        }
    )

    signer: Signer = Field(default_factory=lambda: Signer.model_validate({}))
    confirmer: Confirmer = Field(default_factory=lambda: Confirmer.model_validate({}))
    documents: list[DocumentIn] = Field(min_length=1, description="One item per uploaded file.")
    pades_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None = Field("B-T", description="Default B-T.")
    business_type: Annotated[str, _clipped(64)] = ""
    business_id: Annotated[str, _clipped(128)] = ""
    callback_url: Annotated[str, _clipped(500)] = Field("", description="POSTed when the task finishes.")
    return_url: str | None = Field(
        "", max_length=500, description="Where the confirm page sends the signer back; on the platform's origins."
    )
    ofd_protect_all: StrictBool = Field(
        False,
        description=(
            "OFD documents only: the last seal of each OFD also protects its Signatures.xml, locking the "
            "document (a later seal would invalidate it and is refused with `ofd_locked`). Default false: "
            "later seals (continue-signing) leave earlier ones valid."
        ),
    )


def spec_schema(ref_template: str = "#/components/schemas/{model}") -> tuple[dict[str, Any], dict[str, Any]]:
    """(the spec's JSON schema, the schemas it refers to) for the OpenAPI document."""
    schema = SignTaskSpec.model_json_schema(ref_template=ref_template)
    return schema, schema.pop("$defs", {})


# --- the one serializer of a task ----------------------------------------------------------------


def document_url(task: SignTask, number: int, *, absolute: bool = False) -> str:
    path = f"/api/v1/sign-tasks/{task.public_id}/documents/{number}"
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path


def task_data(task: SignTask, *, status: str, confirm_url: str | None) -> dict[str, Any]:
    """Everything any reader of a task is shown; the API, the confirm page and the callback each
    take their fields from this (see the *_FIELDS below)."""
    return {
        "event": "sign_task.finished",
        "id": task.public_id,
        "status": status,
        "confirm_url": confirm_url,
        "business_id": task.business_id,
        "business_type": task.business_type,
        "pades_level": task.pades_level,
        "failure": {"code": task.failure_code, "message": task.failure_reason} if task.failure_code else None,
        "documents": [
            {
                "n": d.number,
                "name": d.name,
                "status": d.status,
                "pages": d.pages,
                "sha256_before": d.sha256_before,
                "sha256_after": d.sha256_after or None,
                "sha256": d.sha256_after or None,
                "error": d.error or None,
                "url": document_url(task, d.number) if d.status == "completed" else None,
                "absolute_url": document_url(task, d.number, absolute=True) if d.status == "completed" else None,
            }
            for d in task.documents_in_order
        ],
        "created_at": task.created_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }


API_FIELDS = (
    (
        *("id", "status", "confirm_url", "business_id", "business_type", "pades_level", "failure"),
        *("documents", "created_at", "completed_at"),
    ),
    ("n", "name", "status", "pages", "sha256_before", "sha256_after", "error", "url"),
)
CONFIRM_FIELDS = (("id", "status", "failure", "documents"), ("n", "name", "status", "error"))
CALLBACK_FIELDS = (
    ("event", "id", "status", "business_id", "business_type", "failure", "documents"),
    ("n", "name", "status", "sha256", "absolute_url"),
)


def cut(data: dict[str, Any], fields: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[str, Any]:
    """The fields one reader is shown, in the order it has always had them (the callback calls the
    document's absolute URL `url`)."""
    task_fields, document_fields = fields
    out = {key: data[key] for key in task_fields}
    if "documents" in out:
        out["documents"] = [
            {("url" if key == "absolute_url" else key): document[key] for key in document_fields}
            for document in data["documents"]
        ]
    return out
