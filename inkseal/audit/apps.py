from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "inkseal.audit"
    label = "audit"

    def ready(self) -> None:
        from inkseal.audit import jobs  # noqa: F401 - registers the periodic job with Huey
