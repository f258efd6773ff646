"""Enterprise checks (企业核验): is this enterprise registered with this legal representative, and
does the legal representative's phone belong to them?"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext as _

from inkseal.core.idnumbers import is_valid_phone
from inkseal.identity.numbers import check_id_number, check_uscc
from inkseal.identity.providers import sandbox
from inkseal.identity.providers.base import Verdict


class EnterpriseProvider(Protocol):
    name: str
    is_sandbox: bool

    def verify_legal_rep(
        self, enterprise_name: str, uscc: str, legal_rep_name: str, legal_rep_id_number: str, phone: str
    ) -> Verdict: ...


class SandboxEnterpriseProvider:
    """Offline: USCC (GB 32100) and ID (GB 11643) check digits, phone shape; reserved values refused."""

    name = "sandbox"
    is_sandbox = True

    def verify_legal_rep(
        self, enterprise_name: str, uscc: str, legal_rep_name: str, legal_rep_id_number: str, phone: str
    ) -> Verdict:
        if not (check_uscc(uscc).ok and check_id_number(legal_rep_id_number).ok and is_valid_phone(phone)):
            return Verdict.refuse("malformed", _("企业或法定代表人信息格式不正确。"))
        if sandbox.refuses_uscc(uscc):
            return Verdict.refuse("enterprise_mismatch", _("企业核验未通过：企业名称与统一社会信用代码不一致。"))
        if sandbox.refuses_id(legal_rep_id_number):
            return Verdict.refuse("legal_rep_mismatch", _("企业核验未通过：法定代表人姓名、身份证号与手机号不一致。"))
        return Verdict.accept(sandbox.reference())
