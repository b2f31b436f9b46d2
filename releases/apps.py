from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"

    def ready(self):
        from core.admin_site import dashboard_register
        from core.services.events import subscribe

        from .dashboard.views import dashboard_html
        from .services.deltas import release_published_deltas

        dashboard_register(dashboard_html)
        subscribe(release_published_deltas)
