from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self):
        from . import checks  # noqa: F401  (registers the tenancy system check)
        from .api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
