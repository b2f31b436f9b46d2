from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    CommandResultView,
    DeviceCommandViewSet,
    MediaDownloadView,
    MediaVideoViewSet,
    PendingCommandsView,
    SiteVideoViewSet,
)

manage_router = SimpleRouter()
manage_router.register("device-commands", DeviceCommandViewSet)
manage_router.register("media-videos", MediaVideoViewSet)
manage_router.register("site-videos", SiteVideoViewSet)

node_urlpatterns = [
    path("devices/commands", PendingCommandsView.as_view(), name="device-commands"),
    path(
        "devices/commands/<uuid:command_id>/result",
        CommandResultView.as_view(),
        name="device-command-result",
    ),
    path("devices/media/<str:token>", MediaDownloadView.as_view(), name="device-media"),
]
