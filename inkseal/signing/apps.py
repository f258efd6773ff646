from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "inkseal.signing"
    label = "signing"
    verbose_name = _("签章")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.pki import sections
        from inkseal.signing.gm_hooks import teach_pyhanko_on_import
        from inkseal.signing.gm_identifiers import register_gm_identifiers
        from inkseal.signing.sections import add_authorization_url, authorization_rows

        sections.register_authorisations(authorization_rows, add_url=add_authorization_url)
        demo.register(deferred("inkseal.signing.demo:demo_step"))  # imported when the demo is built
        register_gm_identifiers()  # SM2/SM3 names in asn1crypto, now (cheap)
        teach_pyhanko_on_import()  # SM2 in pyHanko's validator, when it is first imported (slow)
