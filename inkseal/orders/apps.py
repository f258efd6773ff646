from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "inkseal.orders"
    label = "orders"
    verbose_name = _("证书办理")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.portal import dashboard

        dashboard.register_in_progress(deferred("inkseal.orders.services:in_progress_rows"))
        demo.register(deferred("inkseal.orders.demo:demo_step"))
