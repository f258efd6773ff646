"""Parts of the certificate detail page that other apps own: the seals bound to a certificate
(seals app) and its authorisations to trading platforms (signing app). They register providers in
their AppConfig.ready(), so this app (a lower layer) never imports theirs.

Seal rows: {"id", "name", "kind", "image_url", "url", "state", "state_label", "state_reason",
"badge"}. Authorisation rows: {"platform", "grantee", "state", "term"} (交易平台名称, 被授权人, 状态,
期限). Missing keys render as "--". Seal binding actions: {"bind_url", "unbind_url", "choices":
[{"id", "label"}]} (where the holder binds and unbinds seals; None offers nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inkseal.pki.models import Certificate

Row = dict[str, Any]
Provider = Callable[[Certificate], list[Row]]

_seal_providers: list[Provider] = []
_seal_actions: list[Callable[[Certificate], Row | None]] = []
_authorisation_providers: list[Provider] = []
_add_authorisation: list[Callable[[Certificate], str | None]] = []


def register_bound_seals(provider: Provider, *, actions: Callable[[Certificate], Row | None] | None = None) -> None:
    """`actions(certificate)` gives the 绑定印章 / 解绑 forms' targets and choices."""
    if provider not in _seal_providers:
        _seal_providers.append(provider)
    if actions is not None and actions not in _seal_actions:
        _seal_actions.append(actions)


def register_authorisations(provider: Provider, *, add_url: Callable[[Certificate], str | None] | None = None) -> None:
    """`add_url(certificate)` gives the 添加授权 link (None hides it for that certificate)."""
    if provider not in _authorisation_providers:
        _authorisation_providers.append(provider)
    if add_url is not None and add_url not in _add_authorisation:
        _add_authorisation.append(add_url)


def bound_seals(certificate: Certificate) -> list[Row]:
    return [row for provider in _seal_providers for row in provider(certificate)]


def seal_binding_actions(certificate: Certificate) -> Row | None:
    return next((found for make in _seal_actions if (found := make(certificate))), None)


def authorisations(certificate: Certificate) -> list[Row]:
    return [row for provider in _authorisation_providers for row in provider(certificate)]


def add_authorisation_url(certificate: Certificate) -> str | None:
    return next((url for make in _add_authorisation if (url := make(certificate))), None)
