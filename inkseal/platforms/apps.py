from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "inkseal.platforms"
    label = "platforms"
    verbose_name = _("交易平台")

    def ready(self) -> None:
        from inkseal.accounts import session
        from inkseal.accounts.views import register_profile_section
        from inkseal.core import demo
        from inkseal.pki import sections
        from inkseal.platforms.demo import demo_step
        from inkseal.platforms.sections import add_authorization_url, authorization_rows
        from inkseal.platforms.services import is_link_live

        demo.register(demo_step)
        sections.register_authorisations(authorization_rows, add_url=add_authorization_url)
        session.register_link_check(is_link_live)  # an SSO session ends when its link is revoked
        register_profile_section(_profile_section)  # 个人中心 › 关联的交易平台


def _profile_section(request: Any) -> dict[str, Any]:
    """个人中心's platform section; sso_views (OIDC, requests) is imported on the first profile page,
    not by every command."""
    from inkseal.platforms.sso_views import profile_section

    return profile_section(request)
