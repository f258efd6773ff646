"""Phone 3-factor check (运营商三要素): do this name, resident ID number and phone belong together?"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext as _

from inkseal.core.idnumbers import is_valid_phone
from inkseal.identity.numbers import check_id_number
from inkseal.identity.providers import sandbox
from inkseal.identity.providers.base import Verdict


class PhoneProvider(Protocol):
    name: str
    is_sandbox: bool

    def verify(self, name: str, id_number: str, phone: str) -> Verdict: ...


class SandboxPhoneProvider:
    """Offline: the ID number's check digit and the phone's shape; refuses the reserved test IDs."""

    name = "sandbox"
    is_sandbox = True

    def verify(self, name: str, id_number: str, phone: str) -> Verdict:
        if not check_id_number(id_number).ok or not is_valid_phone(phone) or not name:
            return Verdict.refuse("malformed", _("姓名、身份证号或手机号格式不正确。"))
        if sandbox.refuses_id(id_number):
            return Verdict.refuse(
                "mismatch", _("运营商核验未通过：姓名、身份证号与手机号不一致，请确认手机号登记在本人名下。")
            )
        return Verdict.accept(sandbox.reference())
