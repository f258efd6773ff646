"""Check digits of Chinese identity numbers. Pure.

- Resident ID card (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check character (0-9 or X).
- Unified social credit code (GB 32100-2015): 18 characters from a 31-symbol alphabet, MOD 31.
"""

from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    number = number.strip().upper()
    if not _ID_RE.match(number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_check_char(number[:17]) == number[17]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    code = code.strip().upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def is_valid_phone(phone: str) -> bool:
    return bool(_PHONE_RE.match(phone))
