from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"

    def ready(self):
        from core.admin_site import dashboard_register

        from .dashboard.views import dashboard_html

        dashboard_register(dashboard_html)
