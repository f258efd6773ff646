from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "inkseal.core"
    label = "core"
    verbose_name = _("系统")

    def ready(self) -> None:
        from django.utils.translation import gettext

        from inkseal.core import errors

        errors.use_translator(gettext)  # domain errors' messages speak the request's language
