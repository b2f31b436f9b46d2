from django.urls import path

from .views import LiveView, MetricsView, ReadyView

# Under /api/v1/
node_urlpatterns = [
    path("health/live", LiveView.as_view(), name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
]

# At the site root, where Prometheus looks.
root_urlpatterns = [path("metrics", MetricsView.as_view(), name="metrics")]
