from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "inkseal.portal"
    label = "portal"
