from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealsConfig(AppConfig):
    name = "inkseal.seals"
    label = "seals"
    verbose_name = _("印章")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.pki import sections
        from inkseal.seals import signals  # noqa: F401 - connects the receivers
        from inkseal.seals.demo import demo_step
        from inkseal.seals.services import (
            binding_actions,
            bound_certificate_labels,
            bound_seal_rows,
            register_seal_binding,
        )
        from inkseal.seals.ses_services import setup_seal_maker

        demo.register_setup(setup_seal_maker)  # after pki's CA hierarchy (INSTALLED_APPS order)
        demo.register(demo_step)
        register_seal_binding(bound_certificate_labels)
        sections.register_bound_seals(bound_seal_rows, actions=binding_actions)  # 证书详情 › 绑定印章
