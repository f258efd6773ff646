from django.urls import path

from inkseal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code", views.send_login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("sso/jump", views.sso_jump, name="sso_jump"),
    path("sso/oidc/<slug:code>/start", views.oidc_start, name="oidc_start"),
    path("sso/oidc/<slug:code>/callback", views.oidc_callback, name="oidc_callback"),
    path("account/identity", views.switch_identity, name="switch_identity"),
    path("account/enterprises/new", views.create_enterprise, name="create_enterprise"),
    path("account/", views.profile, name="profile"),
    path("account/addresses/", views.addresses, name="addresses"),
    path("account/addresses/<int:address_id>/<slug:action>", views.address_action, name="address_action"),
]
