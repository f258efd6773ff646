from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "inkseal.platforms"
    label = "platforms"
