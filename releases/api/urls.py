from django.urls import path
from rest_framework.routers import SimpleRouter

from .dialects import CyberSenseiDownloadView, CyberSenseiUpdateCheckView, DataShareLatestView
from .manage import ArtifactViewSet, ReleaseViewSet, RolloutViewSet, UpdateSessionViewSet
from .views import (
    UpdateCheckView,
    UpdateDeltaView,
    UpdateDownloadNamedView,
    UpdateDownloadView,
    UpdateStatusView,
)

node_urlpatterns = [
    path("updates/check", UpdateCheckView.as_view(), name="update-check"),
    path("updates/status", UpdateStatusView.as_view(), name="update-status"),
    path(
        "updates/download/<str:artifact_id>",
        UpdateDownloadView.as_view(),
        name="update-download",
    ),
    path(
        "updates/delta/<str:artifact_id>/<str:from_artifact_id>",
        UpdateDeltaView.as_view(),
        name="update-delta",
    ),
    # The same download, its URL ending in the file's name: updaters that choose a file by
    # its extension (electron-updater's ".zip" on macOS) read it from the path.
    path(
        "updates/download/<str:artifact_id>/<str:filename>",
        UpdateDownloadNamedView.as_view(),
        name="update-download-named",
    ),
]

dialect_urlpatterns = [
    path("update/check", CyberSenseiUpdateCheckView.as_view(), name="cybersensei-update-check"),
    path(
        "update/download/<str:update_id>",
        CyberSenseiDownloadView.as_view(),
        name="cybersensei-update-download",
    ),
    path("api/updates/latest", DataShareLatestView.as_view(), name="datashare-latest"),
]

manage_router = SimpleRouter()
manage_router.register("releases", ReleaseViewSet)
manage_router.register("artifacts", ArtifactViewSet)
manage_router.register("update-sessions", UpdateSessionViewSet)
manage_router.register("rollouts", RolloutViewSet)
