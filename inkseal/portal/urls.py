from django.urls import path

from inkseal.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("seals/", views.section("portal/section_seals.html", "seals"), name="seals"),
    path("certificates/", views.section("portal/section_certificates.html", "certificates"), name="certificates"),
    path("applications/", views.section("portal/section_applications.html", "applications"), name="applications"),
    path("records/", views.section("portal/section_records.html", "records"), name="records"),
]
