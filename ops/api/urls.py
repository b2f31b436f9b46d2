from django.urls import path

from .views import LiveView, ReadyView

# Under /api/v1/
node_urlpatterns = [
    path("health/live", LiveView.as_view(), name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
]
