"""A certificate's authorisations to trading platforms (证书授权) and the holder's confirmation link."""

from django.urls import path

from inkseal.platforms import views

app_name = "platforms"

urlpatterns = [
    path("certificates/<int:pk>/authorisations/", views.authorizations, name="authorizations"),
    path(
        "certificates/<int:pk>/authorisations/<int:authorization_id>/revoke",
        views.authorization_revoke,
        name="authorization_revoke",
    ),
    path(
        "certificates/<int:pk>/authorisations/<int:authorization_id>/resend",
        views.authorization_resend,
        name="authorization_resend",
    ),
    path("authorisations/confirm/<str:token>", views.authorization_confirm, name="authorization_confirm"),
    path(
        "authorisations/confirm/<str:token>/code",
        views.authorization_confirm_code,
        name="authorization_confirm_code",
    ),
]
