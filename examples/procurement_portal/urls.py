from django.urls import path

from examples.procurement_portal import bids, oidc, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("esign", views.esign, name="esign"),
    path("projects/", bids.projects, name="projects"),
    path("projects/<str:code>/", bids.project, name="project"),
    path("bids/<int:pk>/sign", bids.sign, name="bid_sign"),
    path("bids/<int:pk>/refresh", bids.refresh, name="bid_refresh"),
    path("bids/<int:pk>/download", bids.download, name="bid_download"),
    path("signing/callback", bids.callback, name="signing_callback"),
    path(".well-known/openid-configuration", oidc.discovery),
    path("oidc/authorize", oidc.authorize),
    path("oidc/token", oidc.token),
    path("oidc/jwks", oidc.jwks),
    path("oidc/userinfo", oidc.userinfo),
]
