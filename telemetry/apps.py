from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    """Telemetry reports, alert rules and alerts: the fleet-monitoring issue fills it."""

    name = "telemetry"

    def ready(self):
        from core.admin_site import dashboard_section_register, page_section_register

        from .dashboard import fleet_health_html
        from .device_page import device_telemetry_html

        dashboard_section_register("fleet-health", fleet_health_html, order=10)
        page_section_register("devices.Device", "telemetry", device_telemetry_html, order=20)
