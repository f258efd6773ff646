from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "inkseal.evidence"
    label = "evidence"
    verbose_name = "存证"
