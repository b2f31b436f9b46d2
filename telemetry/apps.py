from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    """Telemetry reports, alert rules and alerts: the fleet-monitoring issue fills it."""

    name = "telemetry"
