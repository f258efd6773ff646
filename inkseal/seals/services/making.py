"""Making seals: from a template, an uploaded photo or handwriting; 修改/变更 replaces a live seal.

Images are drawn or cleaned before the transaction opens (they take 0.1 s or more), written to
storage, and the file is removed again if the transaction fails. OpenCV, NumPy and the OCR engine
(seals.imports, .signatures, .checks, .ocr) take seconds to import: they are imported by the services that
read images, not when Django starts."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import FileMissing
from inkseal.evidence import events as leaves
from inkseal.evidence.services import log_event
from inkseal.identity.services import require_identity_verified
from inkseal.pki.models import Certificate
from inkseal.seals.errors import (
    RiskNoticeNotAccepted,
    SealInactive,
    SealKindNotAllowed,
    SealRequestInvalid,
    SealShapeMismatch,
    SealTypeTaken,
)
from inkseal.seals.image_errors import SealImageError
from inkseal.seals.ink import ink_color
from inkseal.seals.models import Seal, SealSource, SealType
from inkseal.seals.render import StampImage, png_bytes, render_png, stamp_png
from inkseal.seals.render_layout import seal_layout
from inkseal.seals.render_spec import SealKind, SealShape, SealSpec
from inkseal.seals.services._common import _label
from inkseal.seals.services.access import allowed_types, check_manage, live_seals
from inkseal.seals.services.bindings import _carry_bindings
from inkseal.seals.services.lifecycle import _void_locked
from inkseal.seals.services.names import seal_name

if TYPE_CHECKING:
    from inkseal.seals import checks


# True sizes on paper of uploaded seals: round ones are taken to be the usual 42 mm, square 20 mm.
UPLOAD_SIZE_MM = {SealShape.ROUND: 42.0, SealShape.SQUARE: 20.0, SealShape.STRIP: 30.0}
ROUND_TYPES = (SealType.OFFICIAL, SealType.CONTRACT, SealType.FINANCE)


@dataclass(frozen=True)
class TemplateOptions:
    """The choices on the 模板制作 form. `style` is square or strip for 人名章; `lower_text` (下弦文)
    and `border` apply to round seals."""

    style: str = "square"
    color: str = "red"
    border: str = "single"
    lower_text: str = ""
    texture: bool = False


def check_make_seal(identity: CurrentIdentity, seal_type: str, replaces: Seal | None = None) -> SealType:
    """Who may make which seal: a verified person (personal types), or an administrator of a
    verified enterprise (enterprise types); one live seal per type unless replacing it."""
    check_manage(identity)
    require_identity_verified(identity)
    try:
        wanted = SealType(seal_type)
    except ValueError:
        raise SealRequestInvalid(_("未知的印章类型。"))
    if wanted not in allowed_types(identity):
        if identity.is_enterprise:
            raise SealKindNotAllowed(_("企业身份不能制作个人印章，请切换到个人身份。"))
        raise SealKindNotAllowed(_("个人身份不能制作企业印章，请切换到企业身份。"))
    if replaces is not None:
        if replaces.owner_id != identity.party.pk or replaces.kind != wanted:
            raise SealRequestInvalid(_("只能用同类型的新印章变更原印章。"))
        if not replaces.is_live:
            raise SealInactive(_("该印章已作废，不能修改或变更。"))
    elif live_seals(identity.party).filter(kind=wanted).exists():
        raise SealTypeTaken(_("已有可用的%(type)s：请使用“修改/变更”，或先作废原印章。") % {"type": wanted.label})
    return wanted


def template_spec(identity: CurrentIdentity, seal_type: str, options: TemplateOptions) -> SealSpec:
    """The SealSpec of a template seal of this type for this identity."""
    if seal_type == SealType.NAME:
        if options.style not in ("square", "strip"):
            raise SealRequestInvalid(_("请选择方形章或条形章。"))
        kind = SealKind.NAME_SQUARE if options.style == "square" else SealKind.NAME_STRIP
    elif seal_type in (SealType.OFFICIAL, SealType.CONTRACT, SealType.FINANCE, SealType.LEGAL_REPRESENTATIVE):
        kind = SealKind(seal_type)
    else:
        raise SealRequestInvalid(_("手写签名不能用模板制作。"))
    try:
        return SealSpec(
            kind,
            seal_name(identity, seal_type),
            lower_text=options.lower_text if kind.shape is SealShape.ROUND else None,
            color=options.color,
            border=options.border,
            texture=options.texture,
        )
    except SealImageError as error:
        raise error.localised(keep_detail=False)


def do_make_template_seal(
    identity: CurrentIdentity,
    seal_type: str,
    options: TemplateOptions,
    *,
    acting: Acting,
    replaces: Seal | None = None,
) -> Seal:
    """模板制作: draw the seal and keep it as the identity's live seal of that type."""
    wanted = check_make_seal(identity, seal_type, replaces)
    spec = template_spec(identity, wanted, options)
    try:
        layout = seal_layout(spec)  # its size in mm is exact; the PNG's is rounded to pixels
        stamp = StampImage(render_png(spec), layout.width, layout.height)
    except SealImageError as error:
        raise error.localised(keep_detail=False)
    seal = Seal(
        kind=wanted,
        source=SealSource.TEMPLATE,
        name=spec.name,
        template_kind=SealKind.parse(spec.kind).value,
        color=spec.ink.value,
        border=str(spec.border),
        lower_text=spec.lower_text or "",
        texture=spec.texture,
    )
    return _keep(identity, seal, stamp, acting, replaces, {"template": seal.template_kind})


def do_upload_seal(
    identity: CurrentIdentity,
    seal_type: str,
    data: bytes,
    *,
    acting: Acting,
    color: str = "red",
    risk_acknowledged: bool = False,
    replaces: Seal | None = None,
) -> Seal:
    """上传图章: clean the photo (transparent paper, cropped, one ink colour) and check that its
    text reads as the name the seal must carry; refusals say why and point to the template."""
    wanted = check_make_seal(identity, seal_type, replaces)
    if not identity.is_enterprise:
        raise SealKindNotAllowed(_("个人印章不支持上传图章。"))
    if not risk_acknowledged:
        raise RiskNoticeNotAccepted(_("请先阅读并勾选风险提示，再上传印章图片。"))
    if not data:
        raise FileMissing(_("请选择要上传的印章图片。"))
    expected = seal_name(identity, wanted)
    from inkseal.seals import imports

    try:
        imported = imports.import_seal_photo(
            data,
            color,
            expected,
            threshold=settings.SEAL_TEXT_THRESHOLD,
            check_shape=lambda shape: _check_upload_shape(wanted, shape),  # before the slow text reading
        )
        stamp = stamp_png(imported.png, UPLOAD_SIZE_MM[imported.shape])
    except SealImageError as error:
        raise error.localised(keep_detail=False)
    seal = Seal(kind=wanted, source=SealSource.UPLOAD, name=expected, color=ink_color(color).value)
    check = imported.text_check
    audit = {"found_ink": imported.found_ink.value, "read": check.read if check else "", "score": _score(check)}
    return _keep(identity, seal, stamp, acting, replaces, audit)


def _check_upload_shape(wanted: SealType, shape: SealShape) -> None:
    """Round types need a round seal; the 法定代表人章 a square (or strip) one."""
    round_wanted = wanted in ROUND_TYPES
    if (shape is SealShape.ROUND) != round_wanted:
        raise SealShapeMismatch(
            _("上传的印章是%(found)s，%(type)s应为%(shape)s。")
            % {
                "found": _("圆形章") if shape is SealShape.ROUND else _("方形章"),
                "type": wanted.label,
                "shape": _("圆形章") if round_wanted else _("方形章"),
            }
            + _("您可以改用模板制作印章。")
        )


def do_make_handwriting(
    identity: CurrentIdentity,
    data: bytes,
    *,
    acting: Acting,
    color: str = "black",
    replaces: Seal | None = None,
) -> Seal:
    """手写签名: the drawing (a PNG from the canvas) must read as the person's verified name."""
    check_make_seal(identity, SealType.HANDWRITING, replaces)
    name = seal_name(identity, SealType.HANDWRITING)
    from inkseal.seals import checks, signatures

    try:
        image = signatures.signature_image(data, color)
        check = checks.check_handwriting(image, name, threshold=settings.HANDWRITING_THRESHOLD)
    except SealImageError as error:
        raise error.localised(keep_detail=False)
    stamp = StampImage(png_bytes(image), *signatures.size_on_paper_mm(image))
    seal = Seal(kind=SealType.HANDWRITING, source=SealSource.HANDWRITING, name=name, color=ink_color(color).value)
    return _keep(identity, seal, stamp, acting, replaces, {"read": check.read, "score": _score(check)})


def _score(check: checks.TextCheck | None) -> float:
    return round(check.score, 3) if check else 0.0


def _keep(
    identity: CurrentIdentity,
    seal: Seal,
    stamp: StampImage,
    acting: Acting,
    replaces: Seal | None,
    audit: Mapping[str, object],
) -> Seal:
    """Store the image, then in one transaction void the seal replaced (if any), save the new
    one and write the audit rows. A concurrent double submit meets the one-live-per-type
    constraint and is refused; the stored file is removed whenever nothing was saved."""
    seal.owner = identity.party
    seal.created_by = identity.person
    seal.width_mm, seal.height_mm = round(stamp.width_mm, 2), round(stamp.height_mm, 2)
    seal.image_sha256 = hashlib.sha256(stamp.png).hexdigest()
    seal.image.save(f"{uuid.uuid4().hex}.png", ContentFile(stamp.png), save=False)
    try:
        with transaction.atomic():
            if replaces is not None:
                # the certificates the bindings move between first, then the seal: the order a
                # signing locks them in (certificate, seals, audit head), so neither waits on the other
                list(
                    Certificate.objects.select_for_update(of=("self",), no_key=True)
                    .filter(seal_bindings__seal=replaces)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                _void_locked(replaces, acting, reason=_("已变更为新印章"))
            seal.save()
            log_event(*leaves.seal(events.SEAL_CREATE, seal))  # transparency log, same transaction
            if replaces is not None:
                _carry_bindings(replaces, seal, acting=acting)
            record(
                events.SEAL_CREATE,
                **acting.audit(),
                target=f"seal:{seal.pk}",
                data={
                    "kind": seal.kind,
                    "source": seal.source,
                    "name": seal.name,
                    "sha256": seal.image_sha256,
                    "replaces": replaces.pk if replaces else None,
                    **audit,
                },
            )
    except IntegrityError:
        seal.image.delete(save=False)
        raise SealTypeTaken(_("已有可用的%(type)s，请刷新页面后重试。") % {"type": _label(seal.kind)})
    except BaseException:
        seal.image.delete(save=False)
        raise
    return seal
