"""System checks of the PKI settings (run by `manage.py check`, `migrate` and `inkseal serve`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from inkseal.pki.oids import PLACEHOLDER_ARC, PolicyOids


@checks.register()
def check_policy_oids(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """The policy OIDs must be well formed: they go into every certificate and time stamp."""
    try:
        PolicyOids.under(settings.PKI_POLICY_ARC, **settings.PKI_POLICY_OIDS)
    except (TypeError, ValueError) as exc:
        return [
            checks.Error(
                f"certificate or time-stamp policy setting is invalid: {exc}",
                hint="INKSEAL_PKI_POLICY_ARC and INKSEAL_PKI_POLICY_<NAME> take dotted OIDs such as 2.25.<uuid>.",
                id="inkseal.pki.E001",
            )
        ]
    return []


@checks.register(deploy=True)
def check_policy_arc_is_the_operators(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """The default arc is a placeholder nobody registered: production wants the operator's own."""
    try:
        policies = PolicyOids.under(settings.PKI_POLICY_ARC, **settings.PKI_POLICY_OIDS)
    except (TypeError, ValueError):
        return []  # reported by check_policy_oids
    if not policies.placeholder:
        return []
    return [
        checks.Warning(
            f"certificates and time stamps carry policy OIDs under the placeholder arc {PLACEHOLDER_ARC}",
            hint="Set INKSEAL_PKI_POLICY_ARC to your own arc (an IANA private enterprise number or 2.25.<uuid>).",
            id="inkseal.pki.W001",
        )
    ]
