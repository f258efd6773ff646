"""Revocation reasons (RFC 5280 5.3.1): a module of its own so that the models load it without the
CRL code and cryptography behind it."""

from __future__ import annotations

from enum import IntEnum


class RevocationReason(IntEnum):
    """CRLReason (RFC 5280 5.3.1); value 7 is not used."""

    UNSPECIFIED = 0
    KEY_COMPROMISE = 1
    CA_COMPROMISE = 2
    AFFILIATION_CHANGED = 3
    SUPERSEDED = 4
    CESSATION_OF_OPERATION = 5
    CERTIFICATE_HOLD = 6
    REMOVE_FROM_CRL = 8
    PRIVILEGE_WITHDRAWN = 9
    AA_COMPROMISE = 10
