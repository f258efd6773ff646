from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "inkseal.notify"
    label = "notify"
