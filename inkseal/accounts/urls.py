from django.urls import path

from inkseal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code", views.send_login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("account/identity", views.switch_identity, name="switch_identity"),
    path("account/enterprises/new", views.create_enterprise, name="create_enterprise"),
    path("account/", views.profile, name="profile"),
    path("account/addresses/", views.addresses, name="addresses"),
    path("account/step-up/", views.step_up, name="step_up"),
    path("account/step-up/code", views.step_up_code, name="step_up_code"),
    path("account/addresses/<int:address_id>/<slug:action>", views.address_action, name="address_action"),
]
