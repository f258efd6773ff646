from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PkiConfig(AppConfig):
    name = "inkseal.pki"
    label = "pki"
    verbose_name = _("证书与CA")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.pki import checks  # noqa: F401 - registers the system checks
        from inkseal.pki.models import Certificate
        from inkseal.pki.status import count_usable
        from inkseal.portal import dashboard

        dashboard.register("ukey_certificates", lambda party: count_usable(party, Certificate.Medium.UKEY))
        dashboard.register("cloud_certificates", lambda party: count_usable(party, Certificate.Medium.CLOUD))
        demo.register_setup(deferred("inkseal.pki.authorities:ensure_hierarchy"))
        demo.register(deferred("inkseal.pki.demo:demo_step"))
