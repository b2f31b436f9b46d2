from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation

from commands.api.urls import manage_router as commands_manage
from commands.api.urls import node_urlpatterns as commands_node
from core import admin_secrets
from core.api.events import manage_router as events_manage
from devices.api.urls import manage_router as devices_manage
from devices.api.urls import manage_urlpatterns as devices_manage_paths
from devices.api.urls import node_urlpatterns as devices_node
from documents.api.urls import dialect_urlpatterns as documents_dialect
from documents.api.urls import generic_urlpatterns as documents_generic
from documents.api.urls import manage_router as documents_manage
from documents.api.urls import node_urlpatterns as documents_node
from feeds.api.urls import feed_urlpatterns
from licensing.api.urls import cybersensei_urlpatterns as licensing_cybersensei
from licensing.api.urls import manage_router as licensing_manage
from licensing.api.urls import node_urlpatterns as licensing_node
from notifications.api.urls import manage_router as notifications_manage
from notifications.urls import urlpatterns as notifications_urls
from ops.api.urls import node_urlpatterns as ops_node
from ops.api.urls import root_urlpatterns as ops_root
from releases.api.urls import dialect_urlpatterns as releases_dialects
from releases.api.urls import manage_router as releases_manage
from releases.api.urls import node_urlpatterns as releases_node
from telemetry.api.urls import dialect_urlpatterns as telemetry_dialects
from telemetry.api.urls import manage_router as telemetry_manage
from telemetry.api.urls import node_urlpatterns as telemetry_node
from webhooks.api.urls import manage_router as webhooks_manage

# Every app's management router; the tenancy tests walk this list.
MANAGE_ROUTERS = [
    licensing_manage,
    devices_manage,
    releases_manage,
    events_manage,
    webhooks_manage,
    commands_manage,
    documents_manage,
    telemetry_manage,
    notifications_manage,
]
manage_urlpatterns = [
    *(url for router in MANAGE_ROUTERS for url in router.urls),
    *devices_manage_paths,
]

urlpatterns = [
    *admin_secrets.urlpatterns,  # the one-time secret page, under /admin/
    path("admin/", admin.site.urls),
    # The admin's language switch (Django's set_language view, POST only).
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "api/schema/",
        # YAML or JSON by Accept / ?format=, unlike the JSON-only API.
        SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/manage/", include(manage_urlpatterns)),
    path(
        "api/v1/",
        include(
            [
                *licensing_node,
                *devices_node,
                *releases_node,
                *documents_node,
                *telemetry_node,
                *commands_node,
                *ops_node,
            ]
        ),
    ),
    *licensing_cybersensei,
    *releases_dialects,
    *documents_dialect,
    *telemetry_dialects,
    *feed_urlpatterns,
    *notifications_urls,
    *ops_root,
    *documents_generic,  # /api/<name>: last, it matches what nothing before did
]
