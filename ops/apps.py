from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What an operator watches: liveness and readiness probes, Prometheus metrics, request
    ids in the logs and in the tasks a request queues (docs/operations.md)."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self):
        from . import logs, worker

        logs.signals_connect()
        worker.signals_connect()
