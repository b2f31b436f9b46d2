from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Synced documents (seed 004): named JSON documents per tenant, with revisions, read by
    browsers on the origins the tenants declare."""

    name = "documents"
    verbose_name = "Synced documents"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .cors import cors_allow_tenant_origins

        check_request_enabled.connect(cors_allow_tenant_origins, dispatch_uid="documents-cors")
