from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PkiConfig(AppConfig):
    name = "inkseal.pki"
    label = "pki"
    verbose_name = _("证书与CA")

    def ready(self) -> None:
        from inkseal.accounts.stepup import register_pin_check
        from inkseal.audit.services import register_notary
        from inkseal.core import demo
        from inkseal.pki import (  # noqa: F401 - each registers itself: system checks, Huey jobs, the audit notary
            checks,
            jobs,
            notary,
        )
        from inkseal.pki.authority_setup import ensure_hierarchy
        from inkseal.pki.demo import demo_step
        from inkseal.pki.pins import verify_pin

        register_pin_check(verify_pin)  # a PIN step-up (accounts.stepup) checks the PIN here
        register_notary(notary.stamp, notary.check)  # the audit chain's anchors are time-stamped by our TSA
        demo.register_setup(ensure_hierarchy)
        demo.register(demo_step)
