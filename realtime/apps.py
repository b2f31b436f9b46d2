from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The Socket.IO server (NEOPRO agents, ITStock push): pushes queued commands and
    forced updates, and reports its figures in /api/v1/health."""

    name = "realtime"
    verbose_name = "Realtime (Socket.IO)"

    def ready(self):
        from core.api.health import health_section_register
        from core.services.events import subscribe

        from .stats import health_info
        from .subscribers import on_event

        subscribe(on_event)
        health_section_register("socketio", health_info)
