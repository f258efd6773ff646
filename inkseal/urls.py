from django.contrib import admin
from django.urls import include, path

from inkseal.api import api
from inkseal.backoffice.site import backoffice
from inkseal.notify import views as notify_views
from inkseal.portal.views import healthz
from inkseal.signing.records.ses_views import ses_verify_page
from inkseal.signing.verification.views import verify_page

admin.autodiscover()  # settings: SimpleAdminConfig, so the back office's admin modules load here

urlpatterns = [
    path("", include("inkseal.accounts.urls")),
    path("", include("inkseal.platforms.sso_urls")),
    path("", include("inkseal.portal.urls")),
    path("", include("inkseal.pki.urls")),
    path("seals/", include("inkseal.seals.urls")),
    path("applications/", include("inkseal.orders.urls")),
    path("", include("inkseal.signing.urls")),
    path("", include("inkseal.platforms.urls")),
    path("", include("inkseal.identity.urls")),
    path("verify/", verify_page, name="verify"),
    path("verify/ses/", ses_verify_page, name="verify_ses"),
    path("api/", api.urls),
    path("backoffice/", backoffice.urls),
    path("healthz", healthz, name="healthz"),
    path("dev/sms", notify_views.sms_page, name="dev_sms"),
    path("dev/sms.json", notify_views.sms_json, name="dev_sms_json"),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "inkseal.portal.error_pages.bad_request"
handler403 = "inkseal.portal.error_pages.permission_denied"
handler404 = "inkseal.portal.error_pages.page_not_found"
handler500 = "inkseal.portal.error_pages.server_error"
