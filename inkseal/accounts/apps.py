from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "inkseal.accounts"
    label = "accounts"
    verbose_name = _("用户与企业")

    def ready(self) -> None:
        from inkseal.accounts.demo import demo_step
        from inkseal.core import demo

        demo.register(demo_step)
