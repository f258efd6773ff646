from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "inkseal.core"
    label = "core"
