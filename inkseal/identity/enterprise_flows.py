"""Enterprise verification (企业实名认证), by a verified administrator (经办人) of the enterprise.

Every method carries the enterprise's name, type and unified social credit code, and the legal
representative's ID card photos (人像面/国徽面) with their name and ID number (typed, or read
from the photo by OCR). Then one of:

- 法定代表人手机号认证: an SMS code (with the authorisation text) to the legal representative's
  phone; the enterprise provider checks enterprise / legal representative / phone;
- 法定代表人银行卡认证: the bank-card provider's 4-factor check, then a random amount of 0.01–0.99
  yuan paid into the card, to be confirmed within IDENTITY_DEPOSIT_MAX_TRIES tries;
- 单位证件认证: a licence photo for manual review in the back office.

Enterprise states: 待认证 → (认证中) → 已认证 or 未通过 (with the reason).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Enterprise, EnterpriseState, EnterpriseType, Person
from inkseal.accounts.services import id_index
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.core.crypto import blind_index, encrypt
from inkseal.core.idnumbers import is_valid_phone
from inkseal.core.masking import mask_name
from inkseal.identity.attempts import (
    PersonClaim,
    audit,
    check_attempt_quota,
    check_consent,
    check_person_claim,
    finish_attempt,
    new_attempt,
)
from inkseal.identity.errors import VerificationInvalid, VerificationNotAllowed, describe
from inkseal.identity.imagecheck import CheckedImage
from inkseal.identity.models import AttemptState, IdentityDocument, IdType, Method, MicroDeposit, VerificationAttempt
from inkseal.identity.numbers import check_bank_card, check_id_number, check_uscc
from inkseal.identity.providers import bank_card_provider, enterprise_provider, ocr_provider
from inkseal.identity.providers.base import Verdict
from inkseal.identity.services import attempt_for, checked_image, require_verified, store_image
from inkseal.identity.states import ENTERPRISE
from inkseal.notify.backends import gateway
from inkseal.notify.services import send_code, verify_code

_AMOUNT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


@dataclass(frozen=True)
class EnterpriseApplication:
    """What every enterprise verification form carries."""

    name: str
    enterprise_type: str
    uscc: str
    legal_rep_name: str = ""  # empty: read from the ID card photo
    legal_rep_id_number: str = ""
    id_front: bytes | None = None
    id_back: bytes | None = None
    agreements: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedApplication:
    name: str
    enterprise_type: str
    uscc: str
    legal_rep: PersonClaim
    id_front: CheckedImage
    id_back: CheckedImage
    consents: dict[str, str]
    read_by_ocr: bool


# --- checks ------------------------------------------------------------------------------------


def _stale_deposits(enterprise: Enterprise) -> list[VerificationAttempt]:
    return list(
        VerificationAttempt.objects.filter(
            enterprise=enterprise,
            method=Method.BANK_CARD,
            state=AttemptState.PENDING,
            micro_deposit__expires_at__lte=timezone.now(),
        )
    )


def check_can_verify_enterprise(person: Person, enterprise: Enterprise) -> None:
    require_verified(person)
    if enterprise.state == EnterpriseState.VERIFIED:
        raise VerificationNotAllowed(_("该企业已完成实名认证。"))
    pending = VerificationAttempt.objects.filter(enterprise=enterprise, state=AttemptState.PENDING).count()
    if pending > len(_stale_deposits(enterprise)):
        raise VerificationNotAllowed(_("该企业的实名认证正在进行中（等待打款金额确认或人工审核）。"))


def _legal_rep(app: EnterpriseApplication, front: CheckedImage) -> tuple[PersonClaim, bool]:
    name, number = app.legal_rep_name.strip(), app.legal_rep_id_number.strip()
    read_by_ocr = False
    if not (name and number):
        try:
            reading = ocr_provider().read_id_card(front.data)
        except Exception:  # OCR is a convenience: failing to read is not an error
            reading = None
        if reading is not None:
            read_by_ocr = bool((not name and reading.name) or (not number and reading.id_number))
            name, number = name or reading.name, number or reading.id_number
    if not (name and number):
        raise VerificationInvalid(
            _("未能从身份证人像面识别法定代表人姓名和身份证号，请手动填写。"), field="legal_rep_name"
        )
    return check_person_claim(name, IdType.RESIDENT_ID, number, field="legal_rep_id_number"), read_by_ocr


def check_application(person: Person, enterprise: Enterprise, app: EnterpriseApplication) -> CheckedApplication:
    check_can_verify_enterprise(person, enterprise)
    name = " ".join(app.name.split())
    if not 2 <= len(name) <= 128:
        raise VerificationInvalid(_("请输入企业名称（2–128个字）。"), field="name")
    if app.enterprise_type not in EnterpriseType.values:
        raise VerificationInvalid(_("请选择企业类型。"), field="enterprise_type")
    uscc = check_uscc(app.uscc)
    if not uscc.ok:
        raise VerificationInvalid(describe(uscc), field="uscc")
    if Enterprise.objects.filter(uscc=uscc.value).exclude(pk=enterprise.pk).exists():
        raise VerificationInvalid(_("该统一社会信用代码已被其他企业登记，请联系该企业的管理员将您加入。"), field="uscc")
    consents = check_consent(app.agreements)
    front = checked_image(app.id_front, _("身份证人像面"))
    back = checked_image(app.id_back, _("身份证国徽面"))
    legal_rep, read_by_ocr = _legal_rep(app, front)
    check_attempt_quota(person, legal_rep.index)
    return CheckedApplication(name, app.enterprise_type, uscc.value, legal_rep, front, back, consents, read_by_ocr)


# --- shared steps inside the transaction --------------------------------------------------------


def _lock(enterprise: Enterprise, person: Person, *, acting: Acting) -> Enterprise:
    """The enterprise row, locked, after closing micro-deposits nobody confirmed in time."""
    locked = Enterprise.objects.select_for_update(no_key=True).get(pk=enterprise.pk)
    for stale in _stale_deposits(locked):
        finish_attempt(stale, Verdict.refuse("deposit_expired", _("打款金额确认已超时，请重新认证。")))
        _conclude(locked, stale)
        audit(events.IDENTITY_ENTERPRISE_BANK_CARD_FAILED, stale, acting)
    check_can_verify_enterprise(person, locked)
    return locked


def _record(
    person: Person,
    enterprise: Enterprise,
    checked: CheckedApplication,
    method: str,
    provider: str,
    phone: str = "",
) -> VerificationAttempt:
    """The attempt with its ID photos, and the enterprise's details as entered."""
    attempt = new_attempt(
        person,
        method,
        provider,
        checked.legal_rep,
        checked.consents,
        enterprise=enterprise,
        phone=phone,
        details={"enterprise_name": checked.name, "uscc": checked.uscc, "legal_rep_read_by_ocr": checked.read_by_ocr},
    )
    store_image(attempt, IdentityDocument.Kind.ID_FRONT, checked.id_front)
    store_image(attempt, IdentityDocument.Kind.ID_BACK, checked.id_back)
    enterprise.name = checked.name
    enterprise.enterprise_type = checked.enterprise_type
    enterprise.uscc = checked.uscc
    enterprise.legal_rep_name = checked.legal_rep.name
    return attempt


def _set_state(enterprise: Enterprise, state: str, reason: str = "") -> None:
    ENTERPRISE.move(enterprise, state)
    enterprise.state_reason = reason[:255]
    try:
        with transaction.atomic():
            enterprise.save(
                update_fields=["name", "enterprise_type", "uscc", "legal_rep_name", "state", "state_reason"]
            )
    except IntegrityError:
        raise VerificationInvalid(_("该统一社会信用代码已被其他企业登记，请联系该企业的管理员将您加入。"), field="uscc")


def _conclude(enterprise: Enterprise, attempt: VerificationAttempt) -> None:
    if attempt.succeeded:
        _set_state(enterprise, EnterpriseState.VERIFIED)
    else:
        _set_state(enterprise, EnterpriseState.REJECTED, attempt.reason)


# --- 法定代表人手机号认证 ----------------------------------------------------------------------------


def _authorisation_text(person: Person, enterprise: Enterprise) -> str:
    return _("%(who)s正在为“%(enterprise)s”办理企业实名认证，向他人提供此验证码即表示您作为法定代表人同意授权。") % {
        "who": mask_name(person.name),
        "enterprise": enterprise.name,
    }


def send_legal_rep_code(
    person: Person, enterprise: Enterprise, phone: str, *, acting: Acting, legal_rep_id_number: str = ""
) -> None:
    """The verification code and authorisation text go to the legal representative's phone, once
    every limit the submission will meet has been checked: the applicant's daily attempts and,
    when the form already holds it, the legal representative's ID number's."""
    check_can_verify_enterprise(person, enterprise)
    phone = phone.strip()
    if not is_valid_phone(phone):
        raise VerificationInvalid(_("请输入法定代表人的11位手机号。"), field="phone")
    number = legal_rep_id_number.strip()
    checked = check_id_number(number) if number else None
    check_attempt_quota(person, id_index(checked.value) if checked is not None and checked.ok else "")
    send_code(phone, "verify", acting.ip, context=_authorisation_text(person, enterprise))


def do_verify_legal_rep_phone(
    person: Person, enterprise: Enterprise, app: EnterpriseApplication, phone: str, code: str, *, acting: Acting
) -> VerificationAttempt:
    checked = check_application(person, enterprise, app)
    phone = phone.strip()
    if not is_valid_phone(phone):
        raise VerificationInvalid(_("请输入法定代表人的11位手机号。"), field="phone")
    verify_code(phone, "verify", code.strip())
    provider = enterprise_provider()
    verdict = provider.verify_legal_rep(
        checked.name, checked.uscc, checked.legal_rep.name, checked.legal_rep.id_number, phone
    )
    with transaction.atomic():
        enterprise = _lock(enterprise, person, acting=acting)
        attempt = _record(person, enterprise, checked, Method.LEGAL_REP_PHONE, provider.name, phone)
        finish_attempt(attempt, verdict)
        _conclude(enterprise, attempt)
        audit(events.IDENTITY_LEGAL_REP_PHONE_OUTCOME[attempt.state], attempt, acting)
        if attempt.succeeded:
            notice = _("【Inkseal】“%(enterprise)s”已通过您的授权完成企业实名认证。如非本人授权，请立即联系客服。") % {
                "enterprise": enterprise.name
            }
            gateway().send(phone, notice, "verify_notice")
    return attempt


# --- 法定代表人银行卡认证 ---------------------------------------------------------------------------


def _amount_hash(attempt: VerificationAttempt, cents: int) -> str:
    return blind_index(f"{attempt.reference}:{cents}", "micro-deposit")


def do_start_bank_card(
    person: Person,
    enterprise: Enterprise,
    app: EnterpriseApplication,
    card_number: str,
    bank_phone: str,
    *,
    acting: Acting,
) -> VerificationAttempt:
    """4-factor check; when it passes, a random amount is paid in and the enterprise waits (认证中)."""
    checked = check_application(person, enterprise, app)
    card = check_bank_card(card_number)
    if not card.ok:
        raise VerificationInvalid(describe(card), field="card_number")
    bank_phone = bank_phone.strip()
    if not is_valid_phone(bank_phone):
        raise VerificationInvalid(_("请输入银行预留的11位手机号。"), field="bank_phone")
    provider = bank_card_provider()
    verdict = provider.verify_four_factor(checked.legal_rep.name, checked.legal_rep.id_number, card.value, bank_phone)
    with transaction.atomic():
        enterprise = _lock(enterprise, person, acting=acting)
        attempt = _record(person, enterprise, checked, Method.BANK_CARD, provider.name, bank_phone)
        if not verdict.accepted:
            finish_attempt(attempt, verdict)
            _conclude(enterprise, attempt)
            audit(events.IDENTITY_ENTERPRISE_BANK_CARD_FAILED, attempt, acting)
            return attempt
        cents = secrets.randbelow(99) + 1
        deposit = MicroDeposit.objects.create(
            attempt=attempt,
            card_number_enc=encrypt(card.value, f"card:{attempt.reference}"),
            card_number_masked=card.value[:4] + " **** **** " + card.value[-4:],
            amount_hash=_amount_hash(attempt, cents),
            expires_at=timezone.now() + timedelta(seconds=settings.IDENTITY_DEPOSIT_TTL),
        )
        paid = provider.send_micro_deposit(card.value, bank_phone, cents, _("Inkseal企业实名认证"))
        attempt.provider_reference = paid.reference or verdict.reference
        if not paid.accepted:
            finish_attempt(attempt, paid)
            _conclude(enterprise, attempt)
        else:
            attempt.save(update_fields=["provider_reference"])
            _set_state(enterprise, EnterpriseState.PENDING)
        audit(events.IDENTITY_ENTERPRISE_BANK_CARD_DEPOSIT_SENT, attempt, acting, card=deposit.card_number_masked)
    return attempt


def parse_amount(text: str) -> int:
    """'0.37' (yuan) → 37 (fen)."""
    text = text.strip().replace("元", "").replace("￥", "").replace("¥", "")
    try:
        cents = int(Decimal(text) * 100) if _AMOUNT.match(text) else 0
    except InvalidOperation:
        cents = 0
    if not 1 <= cents <= 99:
        raise VerificationInvalid(_("请输入银行卡收到的打款金额（0.01–0.99元），例如 0.37。"), field="amount")
    return cents


def do_confirm_micro_deposit(person: Person, attempt_id: int, amount: str, *, acting: Acting) -> VerificationAttempt:
    """The amount the user saw on the card. Wrong tries are committed before the error is raised."""
    cents = parse_amount(amount)
    error = ""
    with transaction.atomic():
        attempt = attempt_for(person, attempt_id)
        attempt = (
            VerificationAttempt.objects.select_for_update(of=("self",), no_key=True)
            .select_related("enterprise")
            .get(pk=attempt.pk)
        )
        deposit = MicroDeposit.objects.select_for_update(no_key=True).filter(attempt=attempt).first()
        if deposit is None or attempt.enterprise is None or not attempt.is_pending:
            raise VerificationNotAllowed(_("该打款验证已结束。"))
        enterprise = Enterprise.objects.select_for_update(no_key=True).get(pk=attempt.enterprise.pk)
        if deposit.expires_at <= timezone.now():
            finish_attempt(attempt, Verdict.refuse("deposit_expired", _("打款金额确认已超时，请重新认证。")))
        elif hmac.compare_digest(deposit.amount_hash, _amount_hash(attempt, cents)):
            deposit.confirmed_at = timezone.now()
            deposit.save(update_fields=["confirmed_at"])
            finish_attempt(attempt, Verdict.accept(attempt.provider_reference))
        else:
            deposit.failed_tries += 1
            deposit.save(update_fields=["failed_tries"])
            left = settings.IDENTITY_DEPOSIT_MAX_TRIES - deposit.failed_tries
            if left <= 0:
                finish_attempt(attempt, Verdict.refuse("deposit_tries", _("打款金额错误次数过多，认证未通过。")))
            else:
                error = _("打款金额不正确，还可尝试%(n)d次。") % {"n": left}
                audit(events.IDENTITY_ENTERPRISE_BANK_CARD_WRONG_AMOUNT, attempt, acting, tries=deposit.failed_tries)
        if not attempt.is_pending:
            _conclude(enterprise, attempt)
            audit(events.IDENTITY_BANK_CARD_OUTCOME[attempt.state], attempt, acting, tries=deposit.failed_tries)
    if error:
        raise VerificationInvalid(error, field="amount")
    return attempt


def pending_deposit(enterprise: Enterprise) -> VerificationAttempt | None:
    return (
        VerificationAttempt.objects.select_related("micro_deposit")
        .filter(enterprise=enterprise, method=Method.BANK_CARD, state=AttemptState.PENDING)
        .first()
    )


# --- 单位证件认证 --------------------------------------------------------------------------------------


def do_submit_licence(
    person: Person, enterprise: Enterprise, app: EnterpriseApplication, licence: bytes | None, *, acting: Acting
) -> VerificationAttempt:
    """The licence photo goes to the back office's review queue; the enterprise waits (认证中)."""
    checked = check_application(person, enterprise, app)
    photo = checked_image(licence, _("营业执照/单位证件"))
    try:
        reading = ocr_provider().read_licence(photo.data)
        hint = {"ocr_name_matches": reading.name == checked.name, "ocr_uscc_matches": reading.uscc == checked.uscc}
    except Exception:  # the reviewer reads the licence anyway
        hint = {}
    with transaction.atomic():
        enterprise = _lock(enterprise, person, acting=acting)
        attempt = _record(person, enterprise, checked, Method.LICENCE, "manual")
        attempt.details = {**attempt.details, **hint}
        attempt.save(update_fields=["details"])
        store_image(attempt, IdentityDocument.Kind.LICENCE, photo)
        _set_state(enterprise, EnterpriseState.PENDING)
        audit(events.IDENTITY_ENTERPRISE_LICENCE_SUBMITTED, attempt, acting)
    return attempt


def enterprise_attempts(enterprise: Enterprise) -> list[VerificationAttempt]:
    return list(VerificationAttempt.objects.filter(enterprise=enterprise)[:20])
