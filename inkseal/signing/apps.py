from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "inkseal.signing"
    label = "signing"
    verbose_name = _("签章")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.pki import sections
        from inkseal.signing import gmcms  # noqa: F401  (registers SM2/SM3 with asn1crypto and pyHanko)
        from inkseal.signing.demo import demo_step
        from inkseal.signing.sections import add_authorization_url, authorization_rows

        sections.register_authorisations(authorization_rows, add_url=add_authorization_url)
        demo.register(demo_step)
