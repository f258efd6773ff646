"""A sign flow's contract with platforms, typed: the `spec` of POST /api/v1/sign-flows (its signers
use the sign task's placement model) and the one serializer of a flow that the API response and
the callback bodies are cut from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from inkseal.signing.flows.models import FlowDocument, FlowSigner, FlowStatus, SignFlow
from inkseal.signing.tasks.schemas import Confirmer, DocumentIn, Placement, Signer, _clipped

MAX_SIGNERS = 50
MAX_EXPIRY_HOURS = 30 * 24


class FlowSignerId(Signer):
    holder_uscc: Annotated[str, _clipped(18)] = Field(
        "",
        description="Instead of the serial: the enterprise's 统一社会信用代码; its unrevoked certificate "
        "authorised to this platform for `confirmer.phone` that expires last signs.",
    )


class FlowSignerIn(BaseModel):
    step: int = Field(1, ge=1, le=MAX_SIGNERS, description="Signers of the same step sign in parallel; steps in order.")
    signer: FlowSignerId = Field(default_factory=lambda: FlowSignerId.model_validate({}))
    confirmer: Confirmer = Field(default_factory=lambda: Confirmer.model_validate({}))
    documents: list[DocumentIn] | None = Field(
        None, description="This signer's placements per document (`file`: index into `files`)."
    )
    placements: list[Placement] | None = Field(
        None, description="Shorthand for one document: this signer's placements on `files[0]`."
    )


class SignFlowSpec(BaseModel):
    """The `spec` part of POST /api/v1/sign-flows (a JSON object in a multipart field)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "signers": [
                        {
                            "step": 1,
                            "signer": {"certificate_serial": "4f1a2b"},
                            "confirmer": {"phone": "13800000001"},
                            "placements": [{"seal_type": "name", "page": 1, "x": 120, "y": 160}],
                        },
                        {
                            "step": 2,
                            "signer": {"certificate_serial": "5c9e01"},
                            "confirmer": {"phone": "13800000002"},
                            "placements": [{"seal_type": "name", "keyword": "评标委员会主任"}],
                        },
                    ],
                    "business_type": "evaluation_report",
                    "business_id": "PB-2026-0001",
                    "callback_url": "https://portal.example.com/flow-callback",
                }
            ]
        }
    )

    signers: list[FlowSignerIn] = Field(min_length=1, max_length=MAX_SIGNERS)
    pades_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None = Field("B-T", description="Default B-T.")
    business_type: Annotated[str, _clipped(64)] = ""
    business_id: Annotated[str, _clipped(128)] = ""
    callback_url: Annotated[str, _clipped(500)] = Field(
        "", description="POSTed at each signer's event and when the flow ends."
    )
    return_url: str | None = Field("", max_length=500, description="Where the confirm page sends signers back.")
    expires_in_hours: int = Field(72, ge=1, le=MAX_EXPIRY_HOURS, description="Links expire after this (default 72).")


def spec_schema(ref_template: str = "#/components/schemas/{model}") -> tuple[dict[str, Any], dict[str, Any]]:
    schema = SignFlowSpec.model_json_schema(ref_template=ref_template)
    return schema, schema.pop("$defs", {})


# --- the one serializer of a flow ----------------------------------------------------------------


def shown_status(status: str, expires_at: datetime, now: datetime | None = None) -> str:
    """A flow's or signer's status as readers see it: "expired" from the moment its links expired."""
    if status in (FlowStatus.PENDING, FlowStatus.WAITING) and expires_at <= (now or timezone.now()):
        return FlowStatus.EXPIRED.value
    return str(status)


def document_url(flow: SignFlow, number: int, *, absolute: bool = False) -> str:
    path = f"/api/v1/sign-flows/{flow.public_id}/documents/{number}"
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path


def flow_data(
    flow: SignFlow,
    documents: list[FlowDocument],
    signers: list[FlowSigner],
    *,
    confirm_urls: dict[int, str] | None = None,
    absolute: bool = False,
) -> dict[str, Any]:
    """Everything a platform is shown of a flow (the API; callbacks without confirm URLs)."""
    now = timezone.now()
    return {
        "id": flow.public_id,
        "status": shown_status(flow.status, flow.expires_at, now),
        "business_id": flow.business_id,
        "business_type": flow.business_type,
        "pades_level": flow.pades_level,
        "reason": {"code": flow.reason_code, "message": flow.reason} if flow.reason_code else None,
        "documents": [
            {
                "n": d.number,
                "name": d.name,
                "pages": d.pages,
                "signatures": d.version,
                "sha256_original": d.sha256_original,
                "sha256": d.sha256_current,
                "url": document_url(flow, d.number, absolute=absolute),
            }
            for d in documents
        ],
        "signers": [
            {
                "n": s.number,
                "step": s.step,
                "certificate_serial": s.certificate.serial,
                "confirmer_name": s.confirmer_name,
                "status": shown_status(s.status, flow.expires_at, now),
                "reason": s.reason or None,
                "signed_at": s.signed_at.isoformat() if s.signed_at else None,
                **({"confirm_url": confirm_urls.get(s.number)} if confirm_urls is not None else {}),
            }
            for s in signers
        ],
        "created_at": flow.created_at.isoformat(),
        "expires_at": flow.expires_at.isoformat(),
        "completed_at": flow.completed_at.isoformat() if flow.completed_at else None,
    }
