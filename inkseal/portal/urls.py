from django.urls import path

from inkseal.orders import views as order_views
from inkseal.pki import views as certificate_views
from inkseal.portal import evidence_views, views
from inkseal.seals import views as seal_views
from inkseal.signing.records import views as record_views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("seals/", seal_views.seal_list, name="seals"),
    path("certificates/", certificate_views.certificate_list, name="certificates"),
    path("applications/", order_views.application_list, name="applications"),
    path("records/", record_views.record_list, name="records"),
    path("records/<str:event_id>/report", evidence_views.record_report, name="record_report"),
    path("tools/user-manual.pdf", views.user_manual, name="user_manual"),
]
