from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from inkseal.signing.parsing.budget import Budget


class SigningConfig(AppConfig):
    name = "inkseal.signing"
    label = "signing"
    verbose_name = _("签章")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.seals.models import SealApproval
        from inkseal.signing.core.gm_hooks import teach_pyhanko_on_import
        from inkseal.signing.core.gm_identifiers import register_gm_identifiers
        from inkseal.signing.parsing import budget

        demo.register(deferred("inkseal.signing.tasks.demo:demo_step"))
        # 用印审批: a rejection fails the tasks waiting for it (the receiver's module, with the seal
        # services behind it, loads on the first approval saved)
        post_save.connect(
            deferred("inkseal.signing.tasks.approvals:approval_saved"),
            sender=SealApproval,
            dispatch_uid="signing.approval_rejected",
            weak=False,
        )
        budget.configure(
            default_budget=_settings_budget, idle_processes=_idle_parser_processes, slot_limits=_parse_slot_limits
        )
        register_gm_identifiers()  # SM2/SM3 names in asn1crypto, now (cheap)
        teach_pyhanko_on_import()  # SM2 in pyHanko's validator, when it is first imported (slow)


def _settings_budget() -> Budget:
    """The parsing budget of the settings PDF_PARSE_CPU_SECONDS, _WALL_SECONDS, _MEMORY_MB (read at
    each call: tests and operators change them at run time)."""
    from inkseal.signing.parsing.budget import Budget

    return Budget(
        cpu_seconds=float(settings.PDF_PARSE_CPU_SECONDS),
        wall_seconds=float(settings.PDF_PARSE_WALL_SECONDS),  # an int from the environment; tests go finer
        memory_mb=int(settings.PDF_PARSE_MEMORY_MB),
    )


def _parse_slot_limits() -> tuple[int, float | None]:
    return int(settings.PDF_PARSE_CONCURRENCY), float(settings.PDF_PARSE_QUEUE_SECONDS)


def _idle_parser_processes() -> int:
    return int(getattr(settings, "PDF_PARSE_IDLE_PROCESSES", 2))
