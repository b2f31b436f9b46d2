from django.urls import path
from rest_framework.routers import SimpleRouter

from .manage import AlertRuleViewSet, AlertViewSet, TelemetryReportViewSet
from .views import CyberSenseiTelemetryView, HeartbeatView, TelemetryView

# Under /api/v1/
node_urlpatterns = [
    path("telemetry", TelemetryView.as_view(), name="telemetry"),
    path("devices/heartbeat", HeartbeatView.as_view(), name="heartbeat"),
]

# At the site root, as the CyberSensei nodes call it.
dialect_urlpatterns = [
    path("telemetry", CyberSenseiTelemetryView.as_view(), name="cybersensei-telemetry"),
]

manage_router = SimpleRouter()
manage_router.register("alerts", AlertViewSet)
manage_router.register("alert-rules", AlertRuleViewSet)
manage_router.register("telemetry-reports", TelemetryReportViewSet)
