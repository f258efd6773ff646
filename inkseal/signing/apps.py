from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "inkseal.signing"
    label = "signing"
    verbose_name = _("签章")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.signing import jobs  # noqa: F401 - registers the periodic jobs with Huey
        from inkseal.signing.core.gm_hooks import teach_pyhanko_on_import
        from inkseal.signing.core.gm_identifiers import register_gm_identifiers
        from inkseal.signing.tasks.demo import demo_step

        demo.register(demo_step)
        register_gm_identifiers()  # SM2/SM3 names in asn1crypto, now (cheap)
        teach_pyhanko_on_import()  # SM2 in pyHanko's validator, when it is first imported (slow)
