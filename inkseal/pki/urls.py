from django.urls import path

from inkseal.pki import public_views, views

app_name = "pki"

urlpatterns = [
    # Public, no login: what relying parties fetch (URLs baked into certificates, see x509.PublicUrls).
    path("pki/ca.json", public_views.ca_list, name="ca_list"),
    path("pki/ca/<slug:ca_id>.crt", public_views.ca_certificate, {"encoding": "der"}, name="ca_der"),
    path("pki/ca/<slug:ca_id>.pem", public_views.ca_certificate, {"encoding": "pem"}, name="ca_pem"),
    path("pki/crl/<slug:ca_id>.crl", public_views.crl, name="crl"),
    path("pki/ocsp", public_views.ocsp_post, name="ocsp"),
    path("pki/ocsp/<path:encoded>", public_views.ocsp_get, name="ocsp_get"),
    path("pki/tsa", public_views.time_stamp, name="tsa"),  # tsa-ecdsa: RSA and ECDSA signatures
    path("pki/tsa/<slug:family>", public_views.time_stamp, name="tsa_family"),  # tsa-sm2 at /pki/tsa/sm2
    # 证书管理 (the list itself is portal:certificates, at /certificates/).
    path("certificates/register", views.certificate_register, name="register"),
    path("certificates/<int:pk>/", views.certificate_detail, name="detail"),
    path("certificates/<int:pk>/revoke", views.certificate_revoke, name="revoke"),
    path("certificates/<int:pk>/renew", views.certificate_renew, name="renew"),
    path("certificates/<int:pk>/pin", views.certificate_pin, name="pin"),
    path("certificates/<int:pk>/pin/unlock", views.certificate_pin_unlock, name="pin_unlock"),
    path("certificates/<int:pk>/download/<slug:encoding>", views.certificate_download, name="download"),
]
