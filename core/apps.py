from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and no domain owns: API bases, errors, tenancy, checks."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import checks  # noqa: F401  (registers the tenancy system check)
        from .api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
