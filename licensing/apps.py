from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _refresh_tenant_staff_group(sender, **kwargs):
    """After every migrate, the tenant staff group holds exactly the role's permissions:
    an upgrade that adds models (webhooks, documents…) grants them to existing staff."""
    from .services import tenant_staff_group

    tenant_staff_group()


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self):
        # Sent once per app after migrate; the last call sees every app's permissions.
        post_migrate.connect(_refresh_tenant_staff_group, dispatch_uid="relais.tenant-staff")
