"""The backoffice's admin site: its landing page shows the dashboard an app registered
(`dashboard_register(render)` in its `AppConfig.ready()`; `render(request) -> html`), above
the usual list of models. core imports no domain app: the dashboard comes to it."""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

_dashboard: list[Callable] = []


def dashboard_register(render: Callable) -> None:
    """`render(request)` draws the landing page's dashboard (one: the last registered)."""
    _dashboard[:] = [render]


class RelaisAdminSite(admin.AdminSite):
    index_template = "admin/relais_index.html"

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        if _dashboard and request.user.is_active and request.user.is_staff:
            context["dashboard"] = _dashboard[0](request)
        return super().index(request, context)


class RelaisAdminConfig(AdminConfig):
    default_site = "core.admin_site.RelaisAdminSite"
