from django.urls import path

from inkseal.identity import enterprise_views, views

app_name = "identity"

urlpatterns = [
    path("identity/", views.overview, name="overview"),
    path("identity/phone", views.phone, name="phone"),
    path("identity/phone/code", views.phone_code, name="phone_code"),
    path("identity/face", views.face, name="face"),
    path("identity/face/<int:pk>", views.face_attempt, name="face_attempt"),
    path("identity/face/<int:pk>/qrcode", views.face_renew, name="face_renew"),
    path("identity/face/<int:pk>/status", views.face_status, name="face_status"),
    path("identity/agreements/<slug:slug>", views.agreement, name="agreement"),
    path("h5/face/<str:token>", views.h5_face, name="h5_face"),
    path("h5/face/<str:token>/video", views.h5_face_video, name="h5_face_video"),
    path("h5/face/<str:token>/refuse", views.h5_face_refuse, name="h5_face_refuse"),
    path("account/enterprises/<int:pk>/", enterprise_views.enterprise_detail, name="enterprise_detail"),
    path("account/enterprises/<int:pk>/verify", enterprise_views.enterprise_verify, name="enterprise_verify"),
    path("account/enterprises/<int:pk>/verify/code", enterprise_views.enterprise_code, name="enterprise_code"),
    path(
        "account/enterprises/<int:pk>/members/<int:member_pk>/duties",
        enterprise_views.enterprise_member_duties,
        name="enterprise_member_duties",
    ),
    path(
        "account/enterprises/<int:pk>/separation", enterprise_views.enterprise_separation, name="enterprise_separation"
    ),
    path(
        "account/enterprises/<int:pk>/deposit/<int:attempt_pk>",
        enterprise_views.enterprise_deposit,
        name="enterprise_deposit",
    ),
]
