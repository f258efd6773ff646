from django.urls import path

from inkseal.signing import ses_views, views

app_name = "signing"

urlpatterns = [
    path("sign/confirm/<str:token>", views.confirm_page, name="confirm"),
    path("sign/confirm/<str:token>/documents/<int:number>/pages/<int:page>.png", views.confirm_page_image, name="page"),
    path("sign/confirm/<str:token>/seals/<slug:seal_type>.png", views.confirm_seal_image, name="seal"),
    path("sign/self/", views.self_sign, name="self_sign"),
    path("sign/self/<str:draft_id>/", views.self_sign_place, name="self_place"),
    path("sign/self/<str:draft_id>/pages/<int:page>.png", views.self_sign_page_image, name="self_page"),
    path("sign/self/tasks/<str:public_id>/documents/<int:number>", views.self_sign_download, name="self_download"),
    # 应用记录: the list is portal:records (/records/), wired in portal/urls.py.
    path("records/<str:event_id>/", views.record_detail, name="record"),
    path("records/<str:event_id>/ses-signature", ses_views.record_ses_signature, name="record_ses_signature"),
    path(
        "records/<str:event_id>/ses-signature/<str:es_id>",
        ses_views.record_ses_signature,
        name="record_ses_signature_of_seal",
    ),
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
        "authorisations/confirm/<str:token>/code", views.authorization_confirm_code, name="authorization_confirm_code"
    ),
]
