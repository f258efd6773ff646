from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "inkseal.platforms"
    label = "platforms"
    verbose_name = _("交易平台")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred

        demo.register(deferred("inkseal.platforms.demo:demo_step"))
