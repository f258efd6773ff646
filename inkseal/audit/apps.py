from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "inkseal.audit"
    label = "audit"
