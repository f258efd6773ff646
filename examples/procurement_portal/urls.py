from django.urls import path

from examples.procurement_portal import oidc, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("esign", views.esign, name="esign"),
    path(".well-known/openid-configuration", oidc.discovery),
    path("oidc/authorize", oidc.authorize),
    path("oidc/token", oidc.token),
    path("oidc/jwks", oidc.jwks),
    path("oidc/userinfo", oidc.userinfo),
]
