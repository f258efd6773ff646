from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "inkseal.orders"
    label = "orders"
    verbose_name = _("证书办理")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.orders.demo import demo_step

        demo.register(demo_step)
