from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "inkseal.accounts"
    label = "accounts"
    verbose_name = _("用户与企业")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred

        demo.register(deferred("inkseal.accounts.demo:demo_step"))
