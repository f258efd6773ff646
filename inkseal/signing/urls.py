from django.urls import path

from inkseal.signing.records import ses_views
from inkseal.signing.records import views as record_views
from inkseal.signing.selfservice import views as selfservice_views
from inkseal.signing.tasks import views as confirm_views

app_name = "signing"

urlpatterns = [
    path("sign/confirm/<str:token>", confirm_views.confirm_page, name="confirm"),
    path(
        "sign/confirm/<str:token>/documents/<int:number>/pages/<int:page>.png",
        confirm_views.confirm_page_image,
        name="page",
    ),
    path("sign/confirm/<str:token>/seals/<slug:seal_type>.png", confirm_views.confirm_seal_image, name="seal"),
    path("sign/self/", selfservice_views.self_sign, name="self_sign"),
    path("sign/self/<str:draft_id>/", selfservice_views.self_sign_place, name="self_place"),
    path("sign/self/<str:draft_id>/pages/<int:page>.png", selfservice_views.self_sign_page_image, name="self_page"),
    path(
        "sign/self/tasks/<str:public_id>/documents/<int:number>",
        selfservice_views.self_sign_download,
        name="self_download",
    ),
    # 应用记录: the list is portal:records (/records/), wired in portal/urls.py.
    path("records/<str:event_id>/", record_views.record_detail, name="record"),
    path("records/<str:event_id>/ses-signature", ses_views.record_ses_signature, name="record_ses_signature"),
    path(
        "records/<str:event_id>/ses-signature/<str:es_id>",
        ses_views.record_ses_signature,
        name="record_ses_signature_of_seal",
    ),
]
