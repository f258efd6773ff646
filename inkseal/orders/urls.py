from django.urls import path

from inkseal.orders import views

app_name = "orders"

# 我的办理 itself is /applications/ (portal:applications, wired in portal/urls.py).
urlpatterns = [
    path("buy/", views.buy, name="buy"),
    path("confirm/", views.confirm, name="confirm"),
    path("renew/<int:certificate_id>/", views.renew, name="renew"),
    path("tools/ukey_client.py", views.client_tool, name="client_tool"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/apply/", views.apply, name="apply"),
    path("<str:number>/pay/", views.pay, name="pay"),
    path("<str:number>/cancel", views.cancel, name="cancel"),
    path("<str:number>/receive", views.receive, name="receive"),
    path("<str:number>/invoice/", views.invoice, name="invoice"),
    path("<str:number>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("<str:number>/client-token", views.client_token, name="client_token"),
]
