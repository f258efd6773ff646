from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PkiConfig(AppConfig):
    name = "inkseal.pki"
    label = "pki"
    verbose_name = _("证书与CA")

    def ready(self) -> None:
        from inkseal.accounts.hooks import register_pin_check
        from inkseal.audit.services import register_notary
        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.pki import checks  # noqa: F401 - registers the system checks

        # each hook's module (keys, algorithms, the CA) loads on its first call; the Huey jobs load
        # in the consumer (`inkseal run_huey`, inkseal.core.queue.load_jobs)
        register_pin_check(deferred("inkseal.pki.pins:verify_pin"))  # a PIN step-up (accounts.stepup)
        register_notary(  # the audit chain's anchors are time-stamped by our TSA
            deferred("inkseal.pki.notary:stamp"), deferred("inkseal.pki.notary:check")
        )
        demo.register_setup(deferred("inkseal.pki.authority_setup:ensure_hierarchy"))
        demo.register(deferred("inkseal.pki.demo:demo_step"))
