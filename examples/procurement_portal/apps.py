from django.apps import AppConfig


class ProcurementPortalConfig(AppConfig):
    name = "examples.procurement_portal"
    label = "procurement_portal"
    verbose_name = "演示采购平台"
