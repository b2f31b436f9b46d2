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

        from core.admin_site import page_section_register

        from .admin_pages import device_updates_html, release_rollouts_html

        page_section_register("devices.Device", "updates", device_updates_html, order=10)
        page_section_register("releases.Release", "rollouts", release_rollouts_html, order=10)
