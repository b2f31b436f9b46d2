from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Email to people: per-tenant recipients get a digest of the events worth a person's
    attention (alerts, expiring licenses, halted rollouts, bursts of failed updates).
    Subscribes to events; calls into no other app."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from core.services.events import subscribe

        from .services.events import notification_from_event

        subscribe(notification_from_event)
