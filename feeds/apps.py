from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"

    def ready(self):
        from core.services.events import subscribe

        from .subscribers import on_release_event

        subscribe(on_release_event)
