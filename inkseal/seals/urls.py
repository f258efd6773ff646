from django.urls import path

from inkseal.seals import approval_views, views

app_name = "seals"

# 印章管理 itself is /seals/ (portal:seals, wired in portal/urls.py); its pages live below it.
urlpatterns = [
    path("new/", views.seal_new, name="new"),
    path("void", views.seal_void, name="void"),
    path("<int:seal_id>/", views.seal_detail, name="detail"),
    path("<int:seal_id>/image.png", views.seal_image, name="image"),
    # 用印审批: the approver's inbox and decisions, the administrator's settings
    path("approvals/", approval_views.approval_inbox, name="approvals"),
    path("approvals/settings", approval_views.approval_settings, name="approval_settings"),
    path("approvals/<uuid:public_id>/decide", approval_views.approval_decide, name="approval_decide"),
    # 绑定印章 / 解绑 from the certificate page (证书详情)
    path("certificates/<int:certificate_id>/bind", views.seal_bind, name="bind"),
    path("certificates/<int:certificate_id>/unbind", views.seal_unbind, name="unbind"),
]
