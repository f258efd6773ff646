from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "inkseal.accounts"
    label = "accounts"
