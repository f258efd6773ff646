"""Home-page counters and the rows of work in progress. The portal is the top layer: it asks each
domain app for the figures it owns (its service functions), so counts always come from the
tables that hold the objects, and no domain app imports the portal."""

from __future__ import annotations

from inkseal.accounts.models import Party
from inkseal.orders.services import in_progress_rows
from inkseal.pki.models import Certificate
from inkseal.pki.status import count_usable
from inkseal.seals.services import usable_seal_count


def counts(party: Party) -> dict[str, int]:
    """usable_seals, ukey_certificates, cloud_certificates."""
    return {
        "usable_seals": usable_seal_count(party),
        "ukey_certificates": count_usable(party, Certificate.Medium.UKEY),
        "cloud_certificates": count_usable(party, Certificate.Medium.CLOUD),
    }


def in_progress(party: Party) -> list[dict[str, object]]:
    """The party's orders and applications still under way."""
    return list(in_progress_rows(party))
