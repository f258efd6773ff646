"""Django-side helpers around core.secretbox, using settings.FIELD_KEY."""

from __future__ import annotations

from django.conf import settings

from inkseal.core import secretbox


def encrypt(plaintext: str, purpose: str) -> str:
    return secretbox.seal(settings.FIELD_KEY, plaintext, purpose)


def decrypt(token: str, purpose: str) -> str:
    return secretbox.open_(settings.FIELD_KEY, token, purpose)


def blind_index(value: str, purpose: str) -> str:
    return secretbox.blind_index(settings.FIELD_KEY, value, purpose)
