from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "inkseal.core"
    label = "core"

    def ready(self) -> None:
        from django.utils.translation import gettext

        from inkseal.core import errors

        errors.use_translator(gettext)  # domain errors' messages speak the request's language
