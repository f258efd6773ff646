from django.urls import path

from inkseal.platforms import sso_views

app_name = "sso"

urlpatterns = [
    path("sso/jump", sso_views.sso_jump, name="jump"),
    path("sso/link", sso_views.sso_link, name="link"),
    path("sso/link/code", sso_views.sso_link_code, name="link_code"),
    path("sso/oidc/<slug:code>/start", sso_views.oidc_start, name="oidc_start"),
    path("sso/oidc/<slug:code>/callback", sso_views.oidc_callback, name="oidc_callback"),
    path("account/platforms/<int:link_id>/unlink", sso_views.unlink_platform, name="unlink_platform"),
]
