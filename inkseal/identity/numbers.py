"""Why an identity number is or is not well-formed. Pure (no Django).

Each `check_*` returns a `NumberCheck`: the normalised value, and when it is malformed the first
problem found as a stable code with the facts a message needs (`identity.errors.describe` turns
it into the user's language). Check digits: GB 11643 (resident ID, ISO 7064 MOD 11-2),
GB 32100 (unified social credit code, MOD 31), Luhn (bank cards).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from inkseal.core.idnumbers import USCC_ALPHABET, id_check_char, uscc_check_char

_ID_CHARS = re.compile(r"^[0-9]{17}[0-9X]$")
_CARD_CHARS = re.compile(r"^[0-9]+$")
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
_DIGITS = frozenset("0123456789")
CARD_LENGTHS = range(12, 20)  # UnionPay debit and credit cards: 16–19 digits; some old cards are shorter


@dataclass(frozen=True)
class NumberCheck:
    kind: str  # id-number | uscc | bank-card | document
    value: str
    problem: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problem


def normalise(value: str) -> str:
    """Full-width input (１２３, Ｘ) becomes ASCII; spaces and dashes go; letters are upper-cased."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value)).upper()


def check_id_number(value: str, *, today: date | None = None) -> NumberCheck:
    number = normalise(value)

    def bad(problem: str, **params: Any) -> NumberCheck:
        return NumberCheck("id-number", number, problem, params)

    if len(number) != 18:
        return bad("length", expected=18, actual=len(number))
    if not _ID_CHARS.match(number):
        position = next(i for i, c in enumerate(number, 1) if not (c in _DIGITS or (i == 18 and c == "X")))
        return bad("character", position=position, char=number[position - 1])
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return bad("birth_date", digits=number[6:14])
    if born > (today or date.today()) or born.year < 1900:
        return bad("birth_date", digits=number[6:14])
    expected = id_check_char(number[:17])
    if expected != number[17]:
        return bad("check_digit", expected=expected, actual=number[17])
    return NumberCheck("id-number", number)


def check_uscc(value: str) -> NumberCheck:
    code = normalise(value)

    def bad(problem: str, **params: Any) -> NumberCheck:
        return NumberCheck("uscc", code, problem, params)

    if len(code) != 18:
        return bad("length", expected=18, actual=len(code))
    for position, char in enumerate(code, 1):
        if char not in USCC_ALPHABET:
            return bad("character", position=position, char=char)
    expected = uscc_check_char(code[:17])
    if expected != code[17]:
        return bad("check_digit", expected=expected, actual=code[17])
    return NumberCheck("uscc", code)


def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn check."""
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char)
        if i % 2 == 0:  # these are doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def check_bank_card(value: str) -> NumberCheck:
    number = normalise(value)

    def bad(problem: str, **params: Any) -> NumberCheck:
        return NumberCheck("bank-card", number, problem, params)

    if not _CARD_CHARS.match(number):
        position = next((i for i, c in enumerate(number, 1) if c not in _DIGITS), 1)
        return bad("character", position=position, char=number[position - 1] if number else "")
    if len(number) not in CARD_LENGTHS:
        return bad("card_length", minimum=CARD_LENGTHS.start, maximum=CARD_LENGTHS.stop - 1, actual=len(number))
    expected = luhn_check_digit(number[:-1])
    if expected != number[-1]:
        return bad("check_digit", expected=expected, actual=number[-1])
    return NumberCheck("bank-card", number)


def check_other_document(value: str) -> NumberCheck:
    """Passports and permits: only the shape (5–20 letters and digits); a reviewer checks the rest."""
    number = normalise(value)
    if not _OTHER_DOCUMENT.match(number):
        return NumberCheck("document", number, "document_format")
    return NumberCheck("document", number)


CHECKS = {"id-number": check_id_number, "uscc": check_uscc, "bank-card": check_bank_card}
