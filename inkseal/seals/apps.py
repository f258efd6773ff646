from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealsConfig(AppConfig):
    name = "inkseal.seals"
    label = "seals"
    verbose_name = _("印章")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.pki import sections
        from inkseal.seals import signals  # noqa: F401 - connects the receivers

        # each hook's module (the seal services: PIL, fonts, numpy) loads on its first call
        demo.register_setup(deferred("inkseal.seals.ses_services:setup_seal_maker"))  # after pki's CA hierarchy
        demo.register(deferred("inkseal.seals.demo:demo_step"))
        sections.register_bound_seals(
            deferred("inkseal.seals.services:bound_seal_rows"),
            actions=deferred("inkseal.seals.services:binding_actions"),
        )  # 证书详情 › 绑定印章
