from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "inkseal.signing"
    label = "signing"
    verbose_name = _("签章")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.pki import sections
        from inkseal.signing import jobs  # noqa: F401 - registers the periodic jobs with Huey
        from inkseal.signing.authorisations.sections import add_authorization_url, authorization_rows
        from inkseal.signing.core.gm_hooks import teach_pyhanko_on_import
        from inkseal.signing.core.gm_identifiers import register_gm_identifiers
        from inkseal.signing.tasks.demo import demo_step

        sections.register_authorisations(authorization_rows, add_url=add_authorization_url)
        demo.register(demo_step)
        register_gm_identifiers()  # SM2/SM3 names in asn1crypto, now (cheap)
        teach_pyhanko_on_import()  # SM2 in pyHanko's validator, when it is first imported (slow)
