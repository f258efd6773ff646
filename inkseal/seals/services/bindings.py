"""Seal ↔ certificate bindings: bind and unbind (with the GB/T 38540 electronic seal for SM2
certificates), the certificate page's 绑定印章 section, and the registry other apps use to say what
a seal is bound to."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Duty
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki.models import Certificate
from inkseal.seals.errors import (
    BindingCertificateUnusable,
    SealInactive,
    SealManageDenied,
    SealNotBound,
    SealNotFound,
    SealRequestInvalid,
)
from inkseal.seals.models import Seal, SealBinding, SealState
from inkseal.seals.services._common import _label
from inkseal.seals.ses_services import do_make_electronic_seal

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
    acting: Acting,
    replaces: Seal | None = None,
) -> SealBinding:
    """Bind a seal to its holder's certificate (idempotent). An SM2 certificate also gets the
    seal's electronic seal (GB/T 38540 SES_Seal), in the same transaction. `replaces`: the seal
    this one took over the binding from (修改/变更), for the audit row."""
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
            record(events.SEAL_BIND, **acting.audit(), target=f"seal:{seal.pk}", data=data)
        do_make_electronic_seal(seal, certificate, acting=acting)
    return binding


def do_unbind_seal(seal: Seal, certificate: Certificate, *, acting: Acting, reason: str = "") -> bool:
    """Remove the binding (idempotent); True if there was one. Its electronic seal stays: the
    signatures made with it keep verifying."""
    with transaction.atomic():
        deleted, _rows = SealBinding.objects.filter(seal=seal, certificate=certificate).delete()
        if deleted:
            data = {"certificate": certificate.serial, "kind": seal.kind, **({"reason": reason} if reason else {})}
            record(events.SEAL_UNBIND, **acting.audit(), target=f"seal:{seal.pk}", data=data)
    return bool(deleted)


def _carry_bindings(old: Seal, new: Seal, *, acting: Acting) -> None:
    """修改/变更, inside its transaction: the new seal takes over the old one's bindings to usable
    certificates (with a new electronic seal for SM2 ones, made from the new picture). Bindings to
    revoked or expired certificates stay with the old seal, as history."""
    bindings = SealBinding.objects.filter(seal=old).select_related("certificate").order_by("pk")
    for binding in bindings:
        certificate = binding.certificate
        if not _usable(certificate):
            continue
        do_bind_seal(new, certificate, acting=acting, replaces=old)
        do_unbind_seal(old, certificate, acting=acting, reason="replaced")


def check_manage_binding(identity: CurrentIdentity, seal: Seal, certificate: Certificate) -> None:
    """The holder binds and unbinds: its seal administrator (印章管理员, accounts.duties)."""
    if not identity.holds(Duty.SEAL_ADMIN):
        raise SealManageDenied(_("只有企业的印章管理员可以绑定或解绑企业印章。"))
    if seal.owner_id != identity.party.pk or certificate.holder_id != identity.party.pk:
        raise SealNotFound(_("印章不存在。"))


def do_bind_seal_for_holder(
    identity: CurrentIdentity, seal: Seal, certificate: Certificate, *, acting: Acting
) -> SealBinding:
    """绑定印章 on the certificate page: the checks of the holder, then do_bind_seal."""
    check_manage_binding(identity, seal, certificate)
    return do_bind_seal(seal, certificate, acting=acting)


def do_unbind_seal_for_holder(
    identity: CurrentIdentity, seal: Seal, certificate: Certificate, *, acting: Acting
) -> None:
    """解绑 on the certificate page; SealNotBound when the seal is not bound to it."""
    check_manage_binding(identity, seal, certificate)
    if not do_unbind_seal(seal, certificate, acting=acting):
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


register_seal_binding(bound_certificate_labels)  # the certificates a seal is bound to (作废 warns)
