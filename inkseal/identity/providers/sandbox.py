"""The sandbox providers' reserved test values: inputs they refuse, to rehearse a vendor's "no".

Everything else that passes the offline checks is accepted. The values are well-formed (valid
check digits), so they reach the provider and exercise the refusal path end to end:

- a resident ID number whose sequence code (digits 15–17) is 999, e.g. 110105199001019998:
  every capability answers that the name, ID and phone/face/card do not match;
- a unified social credit code whose characters 9–12 are 9999, e.g. 911101089999000012:
  the enterprise provider answers that the enterprise is not registered as entered;
- a bank card whose first six digits are 999999, e.g. 9999990000000006: the bank-card provider
  answers that the four factors do not match.
"""

from __future__ import annotations

import uuid

from inkseal.core.idnumbers import id_check_char, uscc_check_char
from inkseal.identity.numbers import luhn_check_digit

REFUSED_ID_SEQUENCE = "999"
REFUSED_USCC_BODY = "9999"
REFUSED_CARD_BIN = "999999"


def refuses_id(id_number: str) -> bool:
    return id_number[14:17] == REFUSED_ID_SEQUENCE


def refuses_uscc(uscc: str) -> bool:
    return uscc[8:12] == REFUSED_USCC_BODY


def refuses_card(card_number: str) -> bool:
    return card_number.startswith(REFUSED_CARD_BIN)


def reference() -> str:
    return "sandbox-" + uuid.uuid4().hex[:16]


def reserved_id_number(region_birth: str = "11010519900101") -> str:
    """A well-formed ID number in the refused range (for docs, demos and tests)."""
    first17 = region_birth + REFUSED_ID_SEQUENCE
    return first17 + id_check_char(first17)


def reserved_uscc(prefix: str = "91110108") -> str:
    first17 = prefix + REFUSED_USCC_BODY + "00001"
    return first17 + uscc_check_char(first17)


def reserved_card(body: str = "999999000000000") -> str:
    return body + luhn_check_digit(body)
