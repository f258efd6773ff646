from django.apps import AppConfig


class PkiConfig(AppConfig):
    name = "inkseal.pki"
    label = "pki"
