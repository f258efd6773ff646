from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "inkseal.platforms"
    label = "platforms"
    verbose_name = _("交易平台")

    def ready(self) -> None:
        from inkseal.core import demo
        from inkseal.pki import sections
        from inkseal.platforms.demo import demo_step
        from inkseal.platforms.sections import add_authorization_url, authorization_rows

        demo.register(demo_step)
        sections.register_authorisations(authorization_rows, add_url=add_authorization_url)
