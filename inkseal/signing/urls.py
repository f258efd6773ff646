from django.urls import path

from inkseal.signing.flows import views as flow_views
from inkseal.signing.records import ses_views
from inkseal.signing.records import views as record_views
from inkseal.signing.selfservice import views as selfservice_views
from inkseal.signing.tasks import approval_views
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
    path("sign/flow/<str:token>", flow_views.flow_confirm_page, name="flow_confirm"),
    path(
        "sign/flow/<str:token>/documents/<int:number>/pages/<int:page>.png",
        flow_views.flow_page_image,
        name="flow_page",
    ),
    path("sign/flow/<str:token>/seals/<slug:seal_type>.png", flow_views.flow_seal_image, name="flow_seal"),
    # 用印审批: the approver's view of a request's document (the inbox is seals:approvals)
    path("sign/approvals/<uuid:public_id>/", approval_views.approval_page, name="approval"),
    path(
        "sign/approvals/<uuid:public_id>/documents/<int:number>/pages/<int:page>.png",
        approval_views.approval_page_image,
        name="approval_page",
    ),
    path(
        "sign/approvals/<uuid:public_id>/seals/<slug:seal_type>.png",
        approval_views.approval_seal_image,
        name="approval_seal",
    ),
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
