"""A sign task's request as a platform sends it: the spec (documents, placements, return URL) and the
uploaded files, checked before anything is stored."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from pydantic import ValidationError

from inkseal.core.errors import DomainError
from inkseal.platforms.models import TradingPlatform
from inkseal.seals.models import SealType
from inkseal.signing.core.errors import PdfTooLarge, PlacementError
from inkseal.signing.core.ofd.errors import OfdTooLarge
from inkseal.signing.core.pdf import PadesLevel
from inkseal.signing.models import SignTask
from inkseal.signing.tasks.errors import SpecInvalid
from inkseal.signing.tasks.formats import OFD, sniff
from inkseal.signing.tasks.schemas import SignTaskSpec

CHUNK = 1024 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadedFile:
    """An uploaded PDF: its bytes, or the file Django spooled a large upload to (read in chunks,
    never whole into memory)."""

    name: str
    data: bytes | BinaryIO

    @property
    def size(self) -> int:
        if isinstance(self.data, bytes):
            return len(self.data)
        size = getattr(self.data, "size", None)  # Django's UploadedFile knows it
        if isinstance(size, int):
            return size
        self.data.seek(0, io.SEEK_END)
        return self.data.tell()

    def stream(self) -> BinaryIO:
        """The content from its start (a new stream over the bytes, or the rewound file)."""
        if isinstance(self.data, bytes):
            return io.BytesIO(self.data)
        self.data.seek(0)
        return self.data

    def sha256(self) -> str:
        return sha256_of(self.stream())

    def content(self) -> File:
        """For storage: saved in chunks."""
        return ContentFile(self.data) if isinstance(self.data, bytes) else File(self.stream())


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DocumentSpec:
    file: int
    placements: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class TaskSpec:
    serial: str
    confirmer_phone: str
    documents: tuple[DocumentSpec, ...]
    pades_level: PadesLevel
    business_type: str
    business_id: str
    callback_url: str
    return_url: str = ""
    ofd_protect_all: bool = False


def check_spec(raw: str | bytes, file_count: int) -> TaskSpec:
    """Parse the `spec` field against its schema (inkseal.signing.tasks.schemas): every file must
    have placements, every placement a seal type and an anchor. The first fault is reported in
    the user's language."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        raise SpecInvalid(_("spec 不是有效的 JSON。"))
    if not isinstance(data, dict):
        raise SpecInvalid(_("spec 须为 JSON 对象。"))
    try:
        spec = SignTaskSpec.model_validate(data)
    except ValidationError as exc:
        raise _spec_fault(exc.errors()[0], data)
    if not spec.signer.certificate_serial.lower().removeprefix("0x"):
        raise SpecInvalid(_("缺少签章证书序列号 signer.certificate_serial。"))
    if not spec.confirmer.phone:
        raise SpecInvalid(_("缺少确认人手机号 confirmer.phone。"))
    if spec.callback_url and not spec.callback_url.startswith(("http://", "https://")):
        raise SpecInvalid(_("callback_url 须为 http(s) 地址。"))
    return TaskSpec(
        serial=spec.signer.certificate_serial.lower().removeprefix("0x"),
        confirmer_phone=spec.confirmer.phone,
        documents=_document_specs(spec, data["documents"], file_count),
        pades_level=PadesLevel(spec.pades_level or "B-T"),
        business_type=spec.business_type,
        business_id=spec.business_id,
        callback_url=spec.callback_url,
        return_url=spec.return_url or "",
        ofd_protect_all=spec.ofd_protect_all,
    )


def _spec_fault(error: Any, data: dict[str, Any]) -> DomainError:
    """The user's message for the schema's first complaint, by where it is."""
    loc = tuple(error["loc"])
    field = loc[0] if loc else ""
    if field == "signer":
        return SpecInvalid(_("缺少签章证书序列号 signer.certificate_serial。"))
    if field == "confirmer":
        return SpecInvalid(_("缺少确认人手机号 confirmer.phone。"))
    if field == "pades_level":
        return SpecInvalid(_("pades_level 须为 B-B、B-T、B-LT 或 B-LTA。"))
    if field == "ofd_protect_all":
        return SpecInvalid(_("ofd_protect_all 须为 true 或 false。"))
    if field == "return_url":
        return SpecInvalid(_("return_url 须为不超过 500 个字符的 http(s) 地址。"))
    if field != "documents" or len(loc) < 2:
        return SpecInvalid(_("spec.documents 须为非空数组，每个文件一项。"))
    if len(loc) == 2:
        return SpecInvalid(_("spec.documents 的每一项须为对象。"))
    if loc[2] == "file":
        return SpecInvalid(_("documents[].file 须为上传文件的序号（从 0 开始），且不能重复。"))
    raw_placement = data["documents"][loc[1]]["placements"][loc[3]] if len(loc) > 3 else None
    if not isinstance(raw_placement, dict):
        return SpecInvalid(_("每个文件至少需要一个签章位置 placements。"))
    if raw_placement.get("seal_type") not in SealType.values:
        return SpecInvalid(_("未知的印章类型 seal_type，可选：%(types)s。") % {"types": ", ".join(SealType.values)})
    where = ".".join(str(part) for part in loc[5:]) or "placement"
    return PlacementError(f"{where}: {error['msg']}").localised()


def _document_specs(spec: SignTaskSpec, raw: list[dict[str, Any]], file_count: int) -> tuple[DocumentSpec, ...]:
    """Each document's file index (default: the next one) and its placements as the platform sent
    them (kept verbatim in the task)."""
    seen: set[int] = set()
    documents: list[DocumentSpec] = []
    for document, item in zip(spec.documents, raw, strict=True):
        index = document.file if "file" in item else len(documents)
        if isinstance(item.get("file"), bool) or index is None or not 0 <= index < file_count or index in seen:
            raise SpecInvalid(_("documents[].file 须为上传文件的序号（从 0 开始），且不能重复。"))
        seen.add(index)
        documents.append(DocumentSpec(index, tuple(item["placements"])))
    if len(seen) != file_count:
        raise SpecInvalid(_("每个上传的文件都须在 spec.documents 中给出签章位置。"))
    return tuple(sorted(documents, key=lambda d: d.file))


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL without credentials, spaces or backslashes
    (what browsers might read differently from us); None for anything else."""
    if not url or any(ch.isspace() or ch == "\\" or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default) else "")


def platform_origins(platform: TradingPlatform) -> list[str]:
    """The origins an operator registered for the platform: its OpenID issuer and callback URL."""
    origins = (_origin(url) for url in (platform.oidc_issuer, platform.callback_url))
    return list(dict.fromkeys(origin for origin in origins if origin))


def check_return_url(url: str, platform: TradingPlatform) -> str:
    """A task's return_url: an http(s) address on one of the platform's registered origins (no
    open redirect through our confirm page)."""
    if url and _origin(url) not in platform_origins(platform):
        raise SpecInvalid(
            _("return_url 须为本交易平台登记地址（%(origins)s）下的 http(s) 地址。")
            % {"origins": "、".join(platform_origins(platform)) or "--"}
        )
    return url


def return_url(task: SignTask) -> str:
    """Where the confirm page sends the signer back: the task's return_url while it is still on
    the platform's registered origins, else the platform's home (its first registered origin);
    "" for self-service tasks and platforms without a registered address."""
    if task.platform is None:
        return ""
    origins = platform_origins(task.platform)
    wanted = task.spec.get("return_url") if isinstance(task.spec, dict) else None
    if isinstance(wanted, str) and wanted and _origin(wanted) in origins:
        return wanted
    return f"{origins[0]}/" if origins else ""


def check_files(files: Sequence[UploadedFile]) -> None:
    if not files:
        raise SpecInvalid(_("请上传至少一个 PDF 或 OFD 文件（字段 files）。"))
    if len(files) > settings.SIGN_MAX_FILES:
        raise SpecInvalid(_("一次最多签署 %(n)d 个文件。") % {"n": settings.SIGN_MAX_FILES})
    for file in files:
        if file.size > settings.SIGN_MAX_FILE_BYTES:
            too_large = OfdTooLarge if sniff(file.stream()) == OFD else PdfTooLarge
            raise too_large(_("文件“%(name)s”过大。") % {"name": file.name})


def safe_name(name: str) -> str:
    name = (name or "document.pdf").replace("\\", "/").rsplit("/", 1)[-1].strip() or "document.pdf"
    return "".join(ch for ch in name if ch.isprintable())[:200]
