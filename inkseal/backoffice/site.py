"""The back office (管理后台) for operators: Django's admin at /backoffice/, with every operator
change and sign-in written to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.backoffice.forms import OperatorAuthenticationForm
from inkseal.backoffice.security import operator_actor
from inkseal.core.http import client_ip

__all__ = ["AuditedModelAdmin", "backoffice", "operator_actor"]


class BackofficeSite(admin.AdminSite):
    site_header = _("Inkseal 管理后台")
    site_title = _("Inkseal 管理后台")
    index_title = _("系统管理")
    login_form = OperatorAuthenticationForm
    login_template = "backoffice/login.html"
    index_template = "backoffice/index.html"  # with the link to the operator's TOTP enrolment

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from inkseal.backoffice.views import totp_enrolment

        return [path("totp/", self.admin_view(totp_enrolment), name="totp"), *super().get_urls()]


backoffice = BackofficeSite(name="backoffice")


class AuditedModelAdmin(admin.ModelAdmin):
    """Operator changes through the back office land in the audit log with actor and IP."""

    def _audit(self, request: HttpRequest, obj: Any, event: str, message: Any) -> None:
        record(
            event,
            actor=operator_actor(request.user),
            ip=client_ip(request),
            target=f"{obj._meta.label_lower}:{obj.pk}",
            data={"object": str(obj), "change": str(message)},
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, events.BACKOFFICE_ADD, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, events.BACKOFFICE_CHANGE, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, events.BACKOFFICE_DELETE, "")
        return super().log_deletions(request, queryset)


@receiver(user_logged_in)
def _operator_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(events.OPERATOR_LOGIN, actor=operator_actor(user), ip=client_ip(request) if request else "")


@receiver(user_logged_out)
def _operator_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(events.OPERATOR_LOGOUT, actor=operator_actor(user), ip=client_ip(request) if request else "")


@receiver(user_login_failed)
def _operator_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    record(
        events.OPERATOR_LOGIN_FAILED,
        actor=Actor("anonymous", "", str(credentials.get("username", ""))[:64]),
        ip=client_ip(request) if request else "",
        data={"reason": "password"},
    )
