from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhook endpoints and deliveries (Standard Webhooks); subscribes to every event."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from core.services.events import subscribe

        from .services import deliveries_for_event

        subscribe(deliveries_for_event)
