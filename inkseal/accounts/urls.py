from django.urls import path

from inkseal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code", views.send_login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("sso/jump", views.sso_jump, name="sso_jump"),
    path("sso/link", views.sso_link, name="sso_link"),
    path("sso/link/code", views.sso_link_code, name="sso_link_code"),
    path("sso/oidc/<slug:code>/start", views.oidc_start, name="oidc_start"),
    path("sso/oidc/<slug:code>/callback", views.oidc_callback, name="oidc_callback"),
    path("account/identity", views.switch_identity, name="switch_identity"),
    path("account/enterprises/new", views.create_enterprise, name="create_enterprise"),
    path("account/", views.profile, name="profile"),
    path("account/addresses/", views.addresses, name="addresses"),
    path("account/step-up/", views.step_up, name="step_up"),
    path("account/step-up/code", views.step_up_code, name="step_up_code"),
    path("account/platforms/<int:link_id>/unlink", views.unlink_platform, name="unlink_platform"),
    path("account/addresses/<int:address_id>/<slug:action>", views.address_action, name="address_action"),
]
