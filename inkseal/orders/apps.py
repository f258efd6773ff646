from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "inkseal.orders"
    label = "orders"
    verbose_name = _("证书办理")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred

        demo.register(deferred("inkseal.orders.demo:demo_step"))
