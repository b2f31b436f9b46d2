from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Synced documents (seed 004): named JSON documents per tenant, with revisions."""

    name = "documents"
    verbose_name = "Synced documents"
