"""Seal operations: make (template, uploaded image, handwriting), void, mark for change; usage
records and PDF stamps for the signing service; the access gate for pages.

check_* validate, do_* change state in one transaction with their audit row. Images are drawn
or cleaned before the transaction opens (they take 0.1 s or more), written to storage, and the
file is removed again if the transaction fails.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Enterprise, Party, Person
from inkseal.accounts.services import RequestContext, person_actor
from inkseal.audit.services import Actor, record
from inkseal.identity.services import require_identity_verified
from inkseal.pki.models import Certificate
from inkseal.seals.errors import (
    BindingCertificateUnusable,
    RiskNoticeNotAccepted,
    SealInactive,
    SealKindNotAllowed,
    SealManageDenied,
    SealNotBound,
    SealNotFound,
    SealRequestInvalid,
    SealShapeMismatch,
    SealTypeTaken,
    localise,
)
from inkseal.seals.image_errors import SealImageError
from inkseal.seals.ink import ink_color
from inkseal.seals.models import (
    ENTERPRISE_TYPES,
    LIVE_STATES,
    PERSONAL_TYPES,
    TRANSITIONS,
    Seal,
    SealBinding,
    SealSource,
    SealState,
    SealType,
    SealUsage,
)
from inkseal.seals.render import (
    SealKind,
    SealShape,
    SealSpec,
    StampImage,
    png_bytes,
    render_png,
    seal_layout,
    stamp_png,
)
from inkseal.seals.ses_services import do_make_electronic_seal

if TYPE_CHECKING:
    from inkseal.seals import checks

# OpenCV, NumPy and the OCR engine (seals.imports, .signatures, .checks) take seconds to import:
# they are imported by the services that read images, not when Django starts.

# True sizes on paper of uploaded seals: round ones are taken to be the usual 42 mm, square 20 mm.
UPLOAD_SIZE_MM = {SealShape.ROUND: 42.0, SealShape.SQUARE: 20.0, SealShape.STRIP: 30.0}
ROUND_TYPES = (SealType.OFFICIAL, SealType.CONTRACT, SealType.FINANCE)


def _actor(identity: CurrentIdentity) -> Actor:
    return person_actor(identity.person)


def _label(seal_type: str) -> str:
    return str(SealType(seal_type).label)


# --- queries and the access gate ---------------------------------------------------------------


def allowed_types(identity: CurrentIdentity) -> tuple[SealType, ...]:
    """Enterprise identities make enterprise seals; the personal identity makes personal ones."""
    return ENTERPRISE_TYPES if identity.is_enterprise else PERSONAL_TYPES


def live_seals(party: Party) -> QuerySet[Seal]:
    """可用 and 待变更 seals: at most one per type."""
    return Seal.objects.filter(owner=party, state__in=LIVE_STATES)


def void_seals(party: Party) -> QuerySet[Seal]:
    """作废印章记录, most recently voided first."""
    return Seal.objects.filter(owner=party, state=SealState.VOID).order_by("-voided_at", "-pk")


def missing_types(identity: CurrentIdentity) -> list[SealType]:
    """The types this identity may still add (no live seal yet); 新增 is disabled when empty."""
    taken = set(live_seals(identity.party).values_list("kind", flat=True))
    return [t for t in allowed_types(identity) if t not in taken]


def usable_seal_count(party: Party) -> int:
    return Seal.objects.filter(owner=party, state=SealState.ACTIVE).count()


def seal_for(identity: CurrentIdentity, seal_id: int | str) -> Seal:
    """The seal if it belongs to the current identity; SealNotFound otherwise, whether or not
    another identity's seal has that id."""
    try:
        pk = int(seal_id)
    except (TypeError, ValueError):
        pk = 0
    seal = Seal.objects.filter(owner=identity.party, pk=pk).select_related("created_by").first()
    if seal is None:
        raise SealNotFound(_("印章不存在。"))
    return seal


def seal_usages(seal: Seal, search: str = "") -> QuerySet[SealUsage]:
    """One seal's 印章使用记录, newest first."""
    return _search_usages(seal.usages.select_related("seal"), search)


def usages_for(party: Party, *, void: bool = False, search: str = "") -> QuerySet[SealUsage]:
    """印章使用记录 of the party's live seals (or of its voided ones), newest first."""
    states = [SealState.VOID] if void else list(LIVE_STATES)
    usages = SealUsage.objects.filter(seal__owner=party, seal__state__in=states).select_related("seal")
    return _search_usages(usages, search)


def _search_usages(usages: QuerySet[SealUsage], search: str) -> QuerySet[SealUsage]:
    text = search.strip()[:100]
    if text:
        matching_types = [t.value for t in SealType if text in str(t.label)]
        usages = usages.filter(
            Q(document_name__icontains=text)
            | Q(platform_name__icontains=text)
            | Q(event_id__icontains=text)
            | Q(certificate_serial__icontains=text)
            | Q(seal__kind__in=matching_types)
        )
    return usages.order_by("-used_at", "-pk")


def seal_image_bytes(seal: Seal) -> bytes:
    with seal.image.open("rb") as handle:
        return bytes(handle.read())


# --- certificate bindings (registered by the PKI app) ------------------------------------------

BindingProvider = Callable[[Seal], Iterable[str]]
_binding_providers: list[BindingProvider] = []


def register_seal_binding(provider: BindingProvider) -> None:
    """Let another app say what a seal is bound to: `provider(seal)` returns descriptions such
    as "云证书 5F3A…（有效）". Register in AppConfig.ready(); 作废 warns when any is returned."""
    if provider not in _binding_providers:
        _binding_providers.append(provider)


def seal_bindings(seal: Seal) -> list[str]:
    """Descriptions of the certificates (or anything else) the seal is bound to; [] if none."""
    return [str(item) for provider in _binding_providers for item in provider(seal)]


# --- names engraved on seals -------------------------------------------------------------------


def seal_name(identity: CurrentIdentity, seal_type: str) -> str:
    """What the seal of this type says: the enterprise's name, its legal representative's name,
    or the person's verified name."""
    if identity.enterprise is None:
        return identity.person.name
    if seal_type == SealType.LEGAL_REPRESENTATIVE:
        if not identity.enterprise.legal_rep_name.strip():
            raise SealRequestInvalid(
                _("企业信息中没有法定代表人姓名，无法制作法定代表人章。"), code="legal_rep_missing"
            )
        return identity.enterprise.legal_rep_name
    return identity.enterprise.name


def _comparable(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", name) if not ch.isspace())


def _current_names(party: Party) -> dict[str, str]:
    """Per seal type, the name a seal of `party` should carry now (read from the database)."""
    enterprise = Enterprise.objects.filter(party=party).first()
    if enterprise is not None:
        names = {t.value: enterprise.name for t in ENTERPRISE_TYPES}
        names[SealType.LEGAL_REPRESENTATIVE] = enterprise.legal_rep_name
        return names
    person = Person.objects.filter(party=party).first()
    return {t.value: person.name for t in PERSONAL_TYPES} if person else {}


# --- making seals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateOptions:
    """The choices on the 模板制作 form. `style` is square or strip for 人名章; `lower_text` (下弦文)
    and `border` apply to round seals."""

    style: str = "square"
    color: str = "red"
    border: str = "single"
    lower_text: str = ""
    texture: bool = False


def check_manage(identity: CurrentIdentity) -> None:
    if not identity.is_admin:
        raise SealManageDenied(_("只有企业管理员（经办人）可以制作或作废企业印章。"))


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
        raise localise(error)


def do_make_template_seal(
    identity: CurrentIdentity,
    seal_type: str,
    options: TemplateOptions,
    ctx: RequestContext,
    *,
    replaces: Seal | None = None,
) -> Seal:
    """模板制作: draw the seal and keep it as the identity's live seal of that type."""
    wanted = check_make_seal(identity, seal_type, replaces)
    spec = template_spec(identity, wanted, options)
    try:
        layout = seal_layout(spec)  # its size in mm is exact; the PNG's is rounded to pixels
        stamp = StampImage(render_png(spec), layout.width, layout.height)
    except SealImageError as error:
        raise localise(error)
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
    return _keep(identity, seal, stamp, ctx, replaces, {"template": seal.template_kind})


def do_upload_seal(
    identity: CurrentIdentity,
    seal_type: str,
    data: bytes,
    ctx: RequestContext,
    *,
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
        raise SealRequestInvalid(_("请选择要上传的印章图片。"), code="file_missing")
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
        raise localise(error)
    seal = Seal(kind=wanted, source=SealSource.UPLOAD, name=expected, color=ink_color(color).value)
    check = imported.text_check
    audit = {"found_ink": imported.found_ink.value, "read": check.read if check else "", "score": _score(check)}
    return _keep(identity, seal, stamp, ctx, replaces, audit)


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
    ctx: RequestContext,
    *,
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
        raise localise(error)
    stamp = StampImage(png_bytes(image), *signatures.size_on_paper_mm(image))
    seal = Seal(kind=SealType.HANDWRITING, source=SealSource.HANDWRITING, name=name, color=ink_color(color).value)
    return _keep(identity, seal, stamp, ctx, replaces, {"read": check.read, "score": _score(check)})


def _score(check: checks.TextCheck | None) -> float:
    return round(check.score, 3) if check else 0.0


def _keep(
    identity: CurrentIdentity,
    seal: Seal,
    stamp: StampImage,
    ctx: RequestContext,
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
                _void_locked(identity, replaces, ctx, reason=_("已变更为新印章"))
            seal.save()
            if replaces is not None:
                _carry_bindings(replaces, seal, actor=_actor(identity), ctx=ctx)
            record(
                "seal.create",
                actor=_actor(identity),
                identity=ctx.identity,
                ip=ctx.ip,
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


# --- voiding and marking for change --------------------------------------------------------------


def _move(seal: Seal, state: SealState) -> None:
    if state not in TRANSITIONS[seal.state]:
        raise SealInactive(_("印章当前状态为“%(state)s”，不能执行该操作。") % {"state": seal.get_state_display()})
    seal.state = state


def check_void_seal(identity: CurrentIdentity, seal: Seal) -> None:
    check_manage(identity)
    if seal.owner_id != identity.party.pk:
        raise SealNotFound(_("印章不存在。"))
    if not seal.is_live:
        raise SealInactive(_("该印章已作废。"))


def do_void_seal(identity: CurrentIdentity, seal: Seal, ctx: RequestContext) -> list[str]:
    """作废: the seal stops being usable, keeps its records; returns the certificate bindings it
    had (the page confirmed the warning about them before calling this)."""
    check_void_seal(identity, seal)
    with transaction.atomic():
        bindings = _void_locked(identity, seal, ctx, reason="")
    seal.refresh_from_db()
    return bindings


def _void_locked(identity: CurrentIdentity, seal: Seal, ctx: RequestContext, reason: str) -> list[str]:
    locked = Seal.objects.select_for_update(no_key=True).get(pk=seal.pk)
    _move(locked, SealState.VOID)
    locked.voided_at = timezone.now()
    locked.state_reason = reason
    locked.save(update_fields=["state", "voided_at", "state_reason"])
    bindings = seal_bindings(locked)
    record(
        "seal.void",
        actor=_actor(identity),
        identity=ctx.identity,
        ip=ctx.ip,
        target=f"seal:{locked.pk}",
        data={"kind": locked.kind, "reason": reason, "bindings": bindings},
    )
    return bindings


def mark_seals_for_change(
    party: Party,
    *,
    kinds: Iterable[str] | None = None,
    reason: str = "",
    actor: Actor | None = None,
) -> list[Seal]:
    """待变更: mark the party's 可用 seals that must be remade. Without `kinds`, those whose text
    no longer matches the party's current details (enterprise name, legal representative,
    person's name); with `kinds`, every 可用 seal of those types. Returns the seals marked.

    Call it after saving the new details (the identity app does; a post_save signal on
    Enterprise and Person does too, so calling it twice is harmless)."""
    if not Seal.objects.filter(owner=party, state=SealState.ACTIVE).exists():
        return []
    wanted = set(kinds) if kinds is not None else None
    names = _current_names(party)
    with transaction.atomic():
        active = Seal.objects.select_for_update(no_key=True).filter(owner=party, state=SealState.ACTIVE).order_by("pk")
        marked = []
        for seal in active:
            stale = _comparable(seal.name) != _comparable(names.get(seal.kind, seal.name))
            if (wanted is None and stale) or (wanted is not None and seal.kind in wanted):
                _move(seal, SealState.PENDING_CHANGE)
                seal.state_reason = reason or _("主体信息已变更，印章需重新制作")
                seal.save(update_fields=["state", "state_reason"])
                record(
                    "seal.mark_for_change",
                    actor=actor or Actor.system(),
                    target=f"seal:{seal.pk}",
                    data={"kind": seal.kind, "name": seal.name, "now": names.get(seal.kind, ""), "reason": reason},
                )
                marked.append(seal)
    return marked


# --- for the signing service ---------------------------------------------------------------------


def seal_stamp(party: Party, kind_code: str) -> tuple[Seal, StampImage]:
    """The party's 可用 seal of a type (official, legal_representative, contract, finance, name,
    handwriting) and its image at true size for a PDF stamp (42 mm round, 20 mm square, …).

    Raises SealNotFound (seal_not_found) when the party never had one, SealInactive
    (seal_inactive) when it is 待变更 or only voided ones exist."""
    try:
        wanted = SealType(kind_code)
    except ValueError:
        raise SealNotFound(_("未知的印章类型“%(kind)s”。") % {"kind": str(kind_code)[:40]})
    seal = live_seals(party).filter(kind=wanted).first()
    if seal is None:
        if Seal.objects.filter(owner=party, kind=wanted).exists():
            raise SealInactive(_("%(type)s已作废，请重新制作印章。") % {"type": wanted.label})
        raise SealNotFound(_("未找到可用的%(type)s，请先制作印章。") % {"type": wanted.label})
    if seal.state != SealState.ACTIVE:
        raise SealInactive(_("%(type)s待变更，请重新制作后再签章。") % {"type": wanted.label})
    return seal, stamp_of(seal)


def stamp_of(seal: Seal) -> StampImage:
    """The seal's stored PNG and its size on paper."""
    return StampImage(seal_image_bytes(seal), seal.width_mm, seal.height_mm)


def record_seal_usage(
    seal: Seal,
    *,
    event_id: str,
    document_name: str,
    platform_name: str,
    certificate_serial: str = "",
    at: datetime | None = None,
) -> SealUsage:
    """印章使用记录 for one signing event. Call it inside the signing transaction: the seal row
    is locked, so a seal voided meanwhile raises SealInactive and the signing rolls back.
    Idempotent per (seal, event_id). The signing event's own audit row covers this write."""
    event_id = str(event_id).strip()
    if not event_id:
        raise SealRequestInvalid(_("缺少签署事件ID。"))
    with transaction.atomic():
        locked = Seal.objects.select_for_update(no_key=True).get(pk=seal.pk)
        if locked.state != SealState.ACTIVE:
            raise SealInactive(
                _("%(type)s不可用（%(state)s）。") % {"type": _label(locked.kind), "state": locked.get_state_display()}
            )
        usage, _created = SealUsage.objects.get_or_create(
            seal=locked,
            event_id=event_id[:64],
            defaults={
                "used_at": at or timezone.now(),
                "document_name": document_name[:255],
                "platform_name": platform_name[:128],
                "certificate_serial": certificate_serial[:64],
            },
        )
    return usage


def lock_seals_for_signing(seals: Iterable[Seal], certificate: Certificate) -> None:
    """Inside a signing transaction: lock the rows of the seals it shows (a voiding waits for the
    signing to commit, or the signing sees it) and check each is still active and bound to
    `certificate`; SealInactive or SealNotBound (with the seal type) otherwise."""
    wanted = sorted({seal.pk for seal in seals})
    locked = {
        pk: (kind, state)
        for pk, kind, state in Seal.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=wanted, bindings__certificate=certificate)
        .order_by("pk")  # one lock order for every signing
        .values_list("pk", "kind", "state")
    }
    for pk in wanted:
        if pk not in locked:  # unbound, or gone: which one (the rare path, one more query)
            seal = Seal.objects.filter(pk=pk).first()
            if seal is None:
                raise SealInactive(_("%(type)s不可用（%(state)s）。") % {"type": _("印章"), "state": _("已删除")})
            raise SealNotBound(_("%(type)s未绑定到该证书。") % {"type": _label(seal.kind)})
        kind, state = locked[pk]
        if state != SealState.ACTIVE:
            raise SealInactive(
                _("%(type)s不可用（%(state)s）。") % {"type": _label(kind), "state": SealState(state).label}
            )


def record_seal_usages(
    seals: Iterable[Seal],
    *,
    event_id: str,
    document_name: str,
    platform_name: str,
    certificate_serial: str = "",
    at: datetime | None = None,
) -> None:
    """印章使用记录 of one signing event for each of its seals, in one statement: call it inside
    the signing transaction after lock_seals_for_signing. Idempotent per (seal, event_id)."""
    event_id = str(event_id).strip()[:64]
    if not event_id:
        raise SealRequestInvalid(_("缺少签署事件ID。"))
    used_at = at or timezone.now()
    unique = {seal.pk: seal for seal in seals}
    SealUsage.objects.bulk_create(
        [
            SealUsage(
                seal_id=pk,
                event_id=event_id,
                used_at=used_at,
                document_name=document_name[:255],
                platform_name=platform_name[:128],
                certificate_serial=certificate_serial[:64],
            )
            for pk in unique
        ],
        ignore_conflicts=True,
    )


# --- live preview --------------------------------------------------------------------------------

# Screen resolution, not print: ~500 px across for a round seal keeps a preview near 60 ms.
PREVIEW_PX_PER_MM = {SealShape.ROUND: 12.0, SealShape.SQUARE: 24.0, SealShape.STRIP: 20.0}


def preview_seal_type(kind: str) -> SealType | None:
    """The seal type a template kind makes (人名章-方形 → name), None for kinds not offered."""
    try:
        parsed = SealKind.parse(kind)
    except SealImageError:
        return None
    if parsed in (SealKind.NAME_SQUARE, SealKind.NAME_STRIP):
        return SealType.NAME
    try:
        return SealType(parsed.value)
    except ValueError:
        return None


def render_preview(
    kind: str,
    name: str,
    *,
    lower_text: str | None = None,
    color: str = "red",
    size_mm: float | None = None,
    border: str = "single",
    texture: bool = False,
) -> bytes:
    """A screen-resolution PNG of a template seal for the 新增印章 page's live preview."""
    try:
        spec = SealSpec(kind, name, lower_text, color, size_mm, border, texture)
        return render_png(spec, PREVIEW_PX_PER_MM[spec.shape])
    except SealImageError as error:
        raise localise(error)


# --- seal ↔ certificate bindings ---------------------------------------------------------------


def check_bind(seal: Seal, certificate: Certificate) -> None:
    if certificate.usage != Certificate.Usage.SIGNING:
        raise SealRequestInvalid(_("印章只能绑定签名证书，不能绑定加密证书。"))
    if seal.owner_id != certificate.holder_id:
        raise SealRequestInvalid(_("只能绑定证书持有人自己的印章。"))
    if seal.state != SealState.ACTIVE:
        raise SealInactive(_("%(type)s不可用，不能绑定。") % {"type": _label(seal.kind)})
    if not _usable(certificate):
        raise BindingCertificateUnusable(_("证书已吊销或已过期，不能再绑定印章。"))


def _usable(certificate: Certificate) -> bool:
    return certificate.revoked_at is None and certificate.not_after > timezone.now()


def do_bind_seal(
    seal: Seal,
    certificate: Certificate,
    *,
    actor: Actor,
    ctx: RequestContext | None = None,
    replaces: Seal | None = None,
) -> SealBinding:
    """Bind a seal to its holder's certificate (idempotent). An SM2 certificate also gets the
    seal's electronic seal (GB/T 38540 SES_Seal), in the same transaction. `replaces`: the seal
    this one took over the binding from (修改/变更), for the audit row."""
    ctx = ctx or RequestContext()
    check_bind(seal, certificate)
    with transaction.atomic():
        # checked again on the rows, locked in the signing's order (certificate, then seal): a
        # revocation or a voiding that committed since the caller read them is seen here
        certificate = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        seal = Seal.objects.select_for_update(no_key=True).get(pk=seal.pk)
        check_bind(seal, certificate)
        binding, created = SealBinding.objects.get_or_create(seal=seal, certificate=certificate)
        if created:
            data: dict[str, object] = {"certificate": certificate.serial, "kind": seal.kind}
            if replaces is not None:
                data["replaces"] = replaces.pk
            record("seal.bind", actor=actor, ip=ctx.ip, identity=ctx.identity, target=f"seal:{seal.pk}", data=data)
        do_make_electronic_seal(seal, certificate, actor=actor, ctx=ctx)
    return binding


def do_unbind_seal(
    seal: Seal, certificate: Certificate, *, actor: Actor, ctx: RequestContext | None = None, reason: str = ""
) -> bool:
    """Remove the binding (idempotent); True if there was one. Its electronic seal stays: the
    signatures made with it keep verifying."""
    ctx = ctx or RequestContext()
    with transaction.atomic():
        deleted, _rows = SealBinding.objects.filter(seal=seal, certificate=certificate).delete()
        if deleted:
            data = {"certificate": certificate.serial, "kind": seal.kind, **({"reason": reason} if reason else {})}
            record("seal.unbind", actor=actor, ip=ctx.ip, identity=ctx.identity, target=f"seal:{seal.pk}", data=data)
    return bool(deleted)


def _carry_bindings(old: Seal, new: Seal, *, actor: Actor, ctx: RequestContext) -> None:
    """修改/变更, inside its transaction: the new seal takes over the old one's bindings to usable
    certificates (with a new electronic seal for SM2 ones, made from the new picture). Bindings to
    revoked or expired certificates stay with the old seal, as history."""
    bindings = SealBinding.objects.filter(seal=old).select_related("certificate").order_by("pk")
    for binding in bindings:
        certificate = binding.certificate
        if not _usable(certificate):
            continue
        do_bind_seal(new, certificate, actor=actor, ctx=ctx, replaces=old)
        do_unbind_seal(old, certificate, actor=actor, ctx=ctx, reason="replaced")


# --- binding on the certificate page (证书详情 › 绑定印章) -------------------------------------


def check_manage_binding(identity: CurrentIdentity, seal: Seal, certificate: Certificate) -> None:
    """The holder binds and unbinds: an administrator (经办人) of the identity holding both."""
    if not identity.is_admin:
        raise SealManageDenied(_("只有企业管理员（经办人）可以绑定或解绑印章。"))
    if seal.owner_id != identity.party.pk or certificate.holder_id != identity.party.pk:
        raise SealNotFound(_("印章不存在。"))


def do_bind_seal_for_holder(
    identity: CurrentIdentity, seal: Seal, certificate: Certificate, ctx: RequestContext
) -> SealBinding:
    """绑定印章 on the certificate page: the checks of the holder, then do_bind_seal."""
    check_manage_binding(identity, seal, certificate)
    return do_bind_seal(seal, certificate, actor=_actor(identity), ctx=ctx)


def do_unbind_seal_for_holder(
    identity: CurrentIdentity, seal: Seal, certificate: Certificate, ctx: RequestContext
) -> None:
    """解绑 on the certificate page; SealNotBound when the seal is not bound to it."""
    check_manage_binding(identity, seal, certificate)
    if not do_unbind_seal(seal, certificate, actor=_actor(identity), ctx=ctx):
        raise SealNotBound(_("%(type)s未绑定到该证书。") % {"type": _label(seal.kind)})


def bindable_seals(certificate: Certificate) -> QuerySet[Seal]:
    """The holder's 可用 seals not yet bound to the certificate (the 绑定印章 choices)."""
    return Seal.objects.filter(owner_id=certificate.holder_id, state=SealState.ACTIVE).exclude(
        bindings__certificate=certificate
    )


def bound_seal_rows(certificate: Certificate) -> list[dict[str, object]]:
    """The certificate page's 绑定印章 rows (see inkseal.pki.sections): each bound seal with its
    state, so that a voided or 待变更 seal is seen for what it is."""
    bindings = SealBinding.objects.filter(certificate=certificate).select_related("seal").order_by("pk")
    badges = {SealState.ACTIVE: "success", SealState.PENDING_CHANGE: "warning", SealState.VOID: "secondary"}
    return [
        {
            "id": b.seal.pk,
            "name": b.seal.name,
            "kind": b.seal.get_kind_display(),
            "image_url": reverse("seals:image", args=[b.seal.pk]),
            "url": reverse("seals:detail", args=[b.seal.pk]),
            "state": b.seal.state,
            "state_label": b.seal.get_state_display(),
            "state_reason": b.seal.state_reason,
            "badge": badges.get(SealState(b.seal.state), "secondary"),
        }
        for b in bindings
    ]


def binding_actions(certificate: Certificate) -> dict[str, object] | None:
    """What the certificate page offers to bind and where to post (None: nothing to offer)."""
    if certificate.usage != Certificate.Usage.SIGNING:
        return None
    usable = _usable(certificate)
    return {
        "bind_url": reverse("seals:bind", args=[certificate.pk]) if usable else None,
        "unbind_url": reverse("seals:unbind", args=[certificate.pk]),
        "choices": [
            {"id": seal.pk, "label": f"{seal.get_kind_display()} · {seal.name}"} for seal in bindable_seals(certificate)
        ]
        if usable
        else [],
    }


def is_bound(seal: Seal, certificate: Certificate) -> bool:
    return SealBinding.objects.filter(seal=seal, certificate=certificate).exists()


def bound_certificate_labels(seal: Seal) -> list[str]:
    """The register_seal_binding provider: "云证书 <serial>" for each usable bound certificate."""
    now = timezone.now()
    return [
        f"{binding.certificate.get_medium_display()} {binding.certificate.serial}"
        for binding in seal.bindings.select_related("certificate")
        if binding.certificate.revoked_at is None and binding.certificate.not_after >= now
    ]


register_seal_binding(bound_certificate_labels)  # was in SealsConfig.ready: the registry lives here
