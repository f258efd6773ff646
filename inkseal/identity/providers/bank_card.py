"""Bank card checks (银行卡四要素 + 小额打款): the card belongs to the named person, then a random
small amount is paid into it; the user proves access by telling the amount."""

from __future__ import annotations

from typing import Protocol

from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.core.idnumbers import is_valid_phone
from inkseal.identity.numbers import check_bank_card, check_id_number
from inkseal.identity.providers import sandbox
from inkseal.identity.providers.base import Verdict
from inkseal.notify.backends import gateway


class BankCardProvider(Protocol):
    name: str
    is_sandbox: bool

    def verify_four_factor(self, name: str, id_number: str, card_number: str, phone: str) -> Verdict: ...

    def send_micro_deposit(self, card_number: str, phone: str, amount_cents: int, memo: str) -> Verdict: ...


class SandboxBankCardProvider:
    """Offline: Luhn and ID check digits; the "deposit" is a bank-style SMS in the sandbox outbox."""

    name = "sandbox"
    is_sandbox = True

    def verify_four_factor(self, name: str, id_number: str, card_number: str, phone: str) -> Verdict:
        if not (check_bank_card(card_number).ok and check_id_number(id_number).ok and is_valid_phone(phone)):
            return Verdict.refuse("malformed", _("银行卡号、身份证号或预留手机号格式不正确。"))
        if sandbox.refuses_card(card_number) or sandbox.refuses_id(id_number):
            return Verdict.refuse("mismatch", _("银行卡核验未通过：户名、身份证号、银行卡号与预留手机号不一致。"))
        return Verdict.accept(sandbox.reference())

    def send_micro_deposit(self, card_number: str, phone: str, amount_cents: int, memo: str) -> Verdict:
        now = timezone.localtime()
        body = _(
            "【沙箱银行】您尾号%(tail)s的银行卡于%(when)s收入人民币%(amount)s元，摘要：%(memo)s。"
            "（沙箱模拟打款，不产生真实资金）"
        ) % {
            "tail": card_number[-4:],
            "when": now.strftime("%m月%d日%H:%M"),
            "amount": f"{amount_cents / 100:.2f}",
            "memo": memo,
        }
        gateway().send(phone, body, "bank_deposit")
        return Verdict.accept(sandbox.reference())
