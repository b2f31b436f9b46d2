from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What an operator watches: liveness and readiness probes (docs/operations.md)."""

    name = "ops"
    verbose_name = "Operations"
