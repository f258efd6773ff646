"""Face verification (人脸认证): a 2–3 s video, checked for liveness and compared with the ID photo."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from django.utils.translation import gettext as _

from inkseal.identity import liveness
from inkseal.identity.providers import sandbox
from inkseal.identity.providers.base import Verdict

SILENT = "silent"  # H5静默: look at the camera
BLINK = "blink"  # H5眨眼: blink while recording


class FaceProvider(Protocol):
    name: str
    is_sandbox: bool

    def verify(self, name: str, id_number: str, video: Path, liveness_type: str) -> Verdict: ...


class SandboxFaceProvider:
    """Decodes the video and requires 2–3 s, one face in most frames and, for H5眨眼, a blink.

    It cannot compare the face with the ID card photo held by the authorities (that needs a
    vendor): apart from the reserved test IDs, a video that passes is accepted.
    """

    name = "sandbox"
    is_sandbox = True

    def verify(self, name: str, id_number: str, video: Path, liveness_type: str) -> Verdict:
        blink = liveness_type == BLINK
        try:
            findings = liveness.analyse_video(video, eyes=blink)
        except liveness.LivenessRefused as refused:
            return Verdict.refuse(refused.code, str(refused.message))
        details = {"findings": findings.as_dict()}
        try:
            liveness.check_liveness(findings, blink=blink)
        except liveness.LivenessRefused as refused:
            return Verdict.refuse(refused.code, str(refused.message), details=details)
        if sandbox.refuses_id(id_number):
            reason = _("人脸比对未通过：视频中的人脸与该身份证号登记的照片不一致。")
            return Verdict.refuse("mismatch", reason, details=details)
        return Verdict.accept(sandbox.reference(), details=details)
