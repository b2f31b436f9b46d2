"""The backoffice's admin site: its landing page shows the dashboard that
`RELAIS_DASHBOARD` names (a function `(request) -> html`), above the usual list of models.
core names it in settings, as it names the tenant model: it imports no domain app."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.module_loading import import_string


class RelaisAdminSite(admin.AdminSite):
    index_template = "admin/relais_index.html"

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        hook = getattr(settings, "RELAIS_DASHBOARD", "")
        if hook and request.user.is_active and request.user.is_staff:
            context["dashboard"] = import_string(hook)(request)
        return super().index(request, context)


class RelaisAdminConfig(AdminConfig):
    default_site = "core.admin_site.RelaisAdminSite"
