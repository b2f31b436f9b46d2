"""The backoffice's admin site, on django-unfold's theme.

Its landing page shows the dashboard an app registered (`dashboard_register(render)` in its
`AppConfig.ready()`; `render(request) -> html`). Its sidebar groups the models by task, not
by app: each ModelAdmin says where it belongs with `nav_group` (one of `NAV_GROUPS`' keys)
and, optionally, `nav_icon` (a Material Symbols name) and `nav_order`. A model registered
without a group lands under "Other", so nothing is ever hidden by a forgotten attribute
(and `core/tests/test_admin_site.py` fails until it has one). core imports no domain app:
the dashboard and the models come to it.
"""

from collections.abc import Callable

from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

_dashboard: list[Callable] = []
_sections: dict[str, tuple[int, Callable]] = {}

# key → (title, icon), in the sidebar's order.
NAV_GROUPS = {
    "fleet": (_("Fleet"), "devices"),
    "releases": (_("Releases & rollouts"), "rocket_launch"),
    "licensing": (_("Licensing"), "key"),
    "integrations": (_("Integrations"), "hub"),
    "security": (_("Security"), "shield_lock"),
    "other": (_("Other"), "more_horiz"),
}


def dashboard_register(render: Callable) -> None:
    """`render(request)` draws the landing page's dashboard (one: the last registered)."""
    _dashboard[:] = [render]


def dashboard_section_register(name: str, render: Callable, *, order: int = 100) -> None:
    """`render(request) -> html`: a section below the dashboard (an app above the one that
    draws the dashboard adds its figures this way, e.g. telemetry's fleet health)."""
    _sections[name] = (order, render)


_page_sections: dict[str, dict[str, tuple[int, Callable]]] = {}


def page_section_register(model_label: str, name: str, render: Callable, *, order=100) -> None:
    """`render(request, obj) -> html`: a section of the object page of `model_label`
    (`"devices.Device"`), below its fields; apps add what they know of another app's rows
    (telemetry's charts on the device page, commands' history…) without importing upward."""
    _page_sections.setdefault(model_label.lower(), {})[name] = (order, render)


def has_page_sections(model) -> bool:
    return bool(_page_sections.get(model._meta.label_lower))


def page_sections(request, obj) -> list:
    sections = _page_sections.get(obj._meta.label_lower, {})
    return [render(request, obj) for _order, render in sorted(sections.values(), key=_first)]


class RelaisAdminSite(UnfoldAdminSite):
    index_template = "admin/relais_index.html"
    site_title = _("Relais")
    site_header = _("Relais backoffice")
    index_title = _("Fleet dashboard")

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        if _dashboard and request.user.is_active and request.user.is_staff:
            context["dashboard"] = _dashboard[0](request)
            context["dashboard_sections"] = [
                render(request) for _order, render in sorted(_sections.values(), key=_first)
            ]
        return super().index(request, context)

    def get_sidebar_list(self, request) -> list[dict]:
        """The models this user may see, grouped by `nav_group` (see the module's doc)."""
        groups: dict[str, list[dict]] = {key: [] for key in NAV_GROUPS}
        for app in self.get_app_list(request):
            for entry in app["models"]:
                model_admin = self._registry.get(entry["model"])
                if model_admin is None or not entry.get("admin_url"):
                    continue
                key = getattr(model_admin, "nav_group", None)
                groups[key if key in groups else "other"].append(
                    {
                        "title": entry["name"],
                        "icon": getattr(model_admin, "nav_icon", None) or "table_rows",
                        "link": entry["admin_url"],
                        "order": getattr(model_admin, "nav_order", 100),
                    }
                )
        results = []
        for key, items in groups.items():
            if not items:
                continue
            items.sort(key=lambda item: (item.pop("order"), str(item["title"])))
            results.append(
                {
                    "title": NAV_GROUPS[key][0],
                    "separator": True,
                    "collapsible": False,
                    "items": self._get_navigation_items(request, items),
                }
            )
        return results


def _first(entry):
    return entry[0]


class RelaisAdminConfig(AdminConfig):
    default_site = "core.admin_site.RelaisAdminSite"
