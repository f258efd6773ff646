"""A flow signer's confirm link and the SMS that carries it (sent when the signer's step comes,
and again on a reminder, 催签)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from inkseal.core.crypto import decrypt
from inkseal.notify.backends import gateway
from inkseal.signing.flows.models import FlowSigner

SMS_PURPOSE = "sign_flow"


def flow_token_purpose(public_id: str, number: int) -> str:
    return f"sign-flow:{public_id}:{number}:token"


def signer_token(signer: FlowSigner) -> str:
    return decrypt(signer.token_enc, flow_token_purpose(signer.flow.public_id, signer.number))


def signer_confirm_url(signer: FlowSigner) -> str:
    return f"{settings.PUBLIC_BASE_URL}/sign/flow/{signer_token(signer)}"


def notice_text(signer: FlowSigner) -> str:
    flow = signer.flow
    what = flow.business_type or "文件"
    return (
        f"【Inkseal】{flow.platform.name}请您（{signer.confirmer_name}）签署{what}，"
        f"打开链接查看文件并确认签署：{signer_confirm_url(signer)} 请勿转发他人。"
    )


def notify_on_commit(signer: FlowSigner) -> None:
    """Send the signer its link by SMS once the transaction that made it pending commits."""
    phone, body = signer.confirmer_phone, notice_text(signer)
    transaction.on_commit(lambda: gateway().send(phone, body, SMS_PURPOSE))
