from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CommandResultView, DeviceCommandViewSet, PendingCommandsView

manage_router = SimpleRouter()
manage_router.register("device-commands", DeviceCommandViewSet)

node_urlpatterns = [
    path("devices/commands", PendingCommandsView.as_view(), name="device-commands"),
    path(
        "devices/commands/<uuid:command_id>/result",
        CommandResultView.as_view(),
        name="device-command-result",
    ),
]
