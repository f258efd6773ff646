"""Masking of personal numbers for display (188****5473, 430*****524). Pure."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(number: str) -> str:
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*****" + number[-3:]


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
