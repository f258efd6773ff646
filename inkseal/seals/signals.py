"""When an enterprise's name or legal representative (or a person's name) changes, its seals
that carry the old text become 待变更."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from inkseal.accounts.models import Enterprise, Person

_NAME_FIELDS = {"name", "legal_rep_name"}


@receiver(post_save, sender=Enterprise, dispatch_uid="seals.enterprise_changed")
@receiver(post_save, sender=Person, dispatch_uid="seals.person_changed")
def _details_saved(sender: Any, instance: Enterprise | Person, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and not _NAME_FIELDS & set(update_fields)):
        return
    from inkseal.seals.services import mark_seals_for_change  # loaded on first change, not at start

    mark_seals_for_change(instance.party)
