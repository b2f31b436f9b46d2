from django.urls import path
from rest_framework.routers import SimpleRouter

from .manage import DeviceViewSet
from .views import PingView, RegisterDeviceView

node_urlpatterns = [
    path("updates/register-device", RegisterDeviceView.as_view(), name="register-device"),
    path("ping", PingView.as_view(), name="ping"),
]

manage_router = SimpleRouter()
manage_router.register("devices", DeviceViewSet)
