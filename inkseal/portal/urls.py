from django.urls import path

from inkseal.pki import views as certificate_views
from inkseal.portal import views
from inkseal.seals import views as seal_views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("seals/", seal_views.seal_list, name="seals"),
    path("certificates/", certificate_views.certificate_list, name="certificates"),
    path("applications/", views.section("portal/section_applications.html", "applications"), name="applications"),
    path("records/", views.section("portal/section_records.html", "records"), name="records"),
]
