"""What may be issued, checked before anything changes: the holder's subject (verified data
only), the profile, the validity, the UKEY serial and the PKCS#10 request; whether a certificate
comes as a dual pair (双证书)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from inkseal.accounts.models import EnterpriseState, Party
from inkseal.core import secretbox
from inkseal.core.crypto import decrypt
from inkseal.pki.algorithms import Algorithm
from inkseal.pki.csr import CertificateRequest, parse_csr
from inkseal.pki.errors import (
    CsrError,
    HolderNotEligible,
    InvalidSubject,
    InvalidValidity,
    ProfileNotOffered,
    UkeySerialInvalid,
)
from inkseal.pki.names import Name, enterprise_subject, hashed_id_serial, person_subject
from inkseal.pki.profiles import (
    END_ENTITY_YEARS,
    ENTERPRISE_ENCRYPTION,
    ENTERPRISE_SIGNING,
    PERSONAL_SIGNING,
    CertificateProfile,
)
from inkseal.pki.services._common import SubjectKind, Usage

PROFILES: dict[tuple[str, str], CertificateProfile] = {
    (SubjectKind.PERSONAL, Usage.SIGNING): PERSONAL_SIGNING,
    (SubjectKind.ENTERPRISE, Usage.SIGNING): ENTERPRISE_SIGNING,
    (SubjectKind.ENTERPRISE, Usage.ENCRYPTION): ENTERPRISE_ENCRYPTION,
}
# Algorithm families whose certificates come in pairs (signing + escrowed encryption), GM/T 0015.
DUAL_FAMILIES = frozenset({"sm2"})
_UKEY_SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class HolderSubject:
    """The subject a holder's certificate gets, built from verified data only."""

    name: Name
    kind: str  # Certificate.SubjectKind
    snapshot: dict[str, str]

    @property
    def common_name(self) -> str:
        return self.name.get("common_name") or ""


def _subject_id_key() -> bytes:
    return secretbox.derive_key(settings.FIELD_KEY, "pki-subject-id")


def check_holder(holder: Party) -> HolderSubject:
    """The subject for `holder`: verified persons (name + keyed hash of the ID number) and
    verified enterprises (name + USCC); HolderNotEligible otherwise."""
    try:
        if holder.kind == Party.Kind.ENTERPRISE:
            enterprise = holder.enterprise
            if enterprise.state != EnterpriseState.VERIFIED or not enterprise.uscc:
                raise HolderNotEligible(_("企业尚未完成实名认证，不能办理企业证书。"))
            return HolderSubject(
                enterprise_subject(enterprise.name, enterprise.uscc),
                SubjectKind.ENTERPRISE,
                {"name": enterprise.name, "uscc": enterprise.uscc},
            )
        person = holder.person
        if not person.is_verified or not person.id_number_enc or not person.name:
            raise HolderNotEligible(_("个人尚未完成实名认证，不能办理个人证书。"))
        id_number = decrypt(person.id_number_enc, f"person-id:{person.account_id}")
        return HolderSubject(
            person_subject(person.name, hashed_id_serial(id_number, _subject_id_key())),
            SubjectKind.PERSONAL,
            {"name": person.name, "id": person.id_number_index},
        )
    except InvalidSubject:
        raise HolderNotEligible(_("证书主题信息不符合要求：名称须为 1–64 个字符且不含控制字符。"))


def check_profile(kind: str, usage: str) -> CertificateProfile:
    try:
        return PROFILES[(kind, usage)]
    except KeyError:
        raise ProfileNotOffered(_("不提供该类型的证书（个人证书仅有签名证书）。"))


def check_years(years: int) -> int:
    if years not in END_ENTITY_YEARS:
        raise InvalidValidity(_("证书有效期须为 1、2 或 3 年。"))
    return years


def check_ukey_serial(serial: str) -> str:
    serial = serial.strip()
    if not _UKEY_SERIAL.match(serial):
        raise UkeySerialInvalid(_("UKEY 序列号须为 1–64 位字母、数字、点、横线或下划线。"))
    return serial


def check_csr(data: bytes) -> CertificateRequest:
    """A parsed request with a verified self-signature; the refusal says why in the user's language."""
    try:
        return parse_csr(data)
    except CsrError as exc:
        raise exc.localised()


def is_dual(subject_kind: str, algorithm: Algorithm) -> bool:
    """Whether a signing certificate of this kind and key comes with an encryption certificate."""
    return algorithm.family in DUAL_FAMILIES and (subject_kind, Usage.ENCRYPTION) in PROFILES
