from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "inkseal.identity"
    label = "identity"
    verbose_name = _("实名认证")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred

        demo.register(deferred("inkseal.identity.demo:demo_step"))
