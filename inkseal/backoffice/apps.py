from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "inkseal.backoffice"
    label = "backoffice"
