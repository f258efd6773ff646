from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "inkseal.platforms"
    label = "platforms"
    verbose_name = _("交易平台")

    def ready(self) -> None:
        from inkseal.accounts import session
        from inkseal.accounts.hooks import register_profile_section
        from inkseal.core import demo
        from inkseal.core.lazy import deferred
        from inkseal.pki import sections

        demo.register(deferred("inkseal.platforms.demo:demo_step"))
        sections.register_authorisations(
            deferred("inkseal.platforms.sections:authorization_rows"),
            add_url=deferred("inkseal.platforms.sections:add_authorization_url"),
        )
        # an SSO session ends when its link is revoked
        session.register_link_check(deferred("inkseal.platforms.services:is_link_live"))
        register_profile_section(_profile_section)  # 个人中心 › 关联的交易平台


def _profile_section(request: Any) -> dict[str, Any]:
    """个人中心's platform section; sso_views (OIDC, requests) is imported on the first profile page,
    not by every command."""
    from inkseal.platforms.sso_views import profile_section

    return profile_section(request)
