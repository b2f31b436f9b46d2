from django.urls import path
from rest_framework.routers import SimpleRouter

from .commands import CommandResultView, PendingCommandsView
from .manage import (
    DeviceCommandViewSet,
    EventViewSet,
    WebhookDeliveryViewSet,
    WebhookEndpointViewSet,
)

manage_router = SimpleRouter()
manage_router.register("events", EventViewSet)
manage_router.register("webhook-endpoints", WebhookEndpointViewSet)
manage_router.register("webhook-deliveries", WebhookDeliveryViewSet)
manage_router.register("device-commands", DeviceCommandViewSet)

node_urlpatterns = [
    path("devices/commands", PendingCommandsView.as_view(), name="device-commands"),
    path(
        "devices/commands/<uuid:command_id>/result",
        CommandResultView.as_view(),
        name="device-command-result",
    ),
]
