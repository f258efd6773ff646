from django.apps import AppConfig


class SealsConfig(AppConfig):
    name = "inkseal.seals"
    label = "seals"
