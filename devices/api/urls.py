from django.urls import path
from rest_framework.routers import SimpleRouter

from .manage import DeviceViewSet
from .sites import SiteRegisterView, SiteResyncView
from .views import PingView, RegisterDeviceView
from .windows import MaintenanceWindowsView

node_urlpatterns = [
    path("updates/register-device", RegisterDeviceView.as_view(), name="register-device"),
    path("ping", PingView.as_view(), name="ping"),
    path("sites/register", SiteRegisterView.as_view(), name="site-register"),
    path("sites/resync", SiteResyncView.as_view(), name="site-resync"),
]

manage_router = SimpleRouter()
manage_router.register("devices", DeviceViewSet)
# Per-tenant routes of the management API that are not a resource of a router.
manage_urlpatterns = [
    path(
        "maintenance-windows", MaintenanceWindowsView.as_view(), name="manage-maintenance-windows"
    ),
]
