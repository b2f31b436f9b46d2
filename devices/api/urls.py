from django.urls import path
from rest_framework.routers import SimpleRouter

from .manage import DeviceViewSet
from .sites import SiteRegisterView, SiteResyncView
from .views import PingView, RegisterDeviceView

node_urlpatterns = [
    path("updates/register-device", RegisterDeviceView.as_view(), name="register-device"),
    path("ping", PingView.as_view(), name="ping"),
    path("sites/register", SiteRegisterView.as_view(), name="site-register"),
    path("sites/resync", SiteResyncView.as_view(), name="site-resync"),
]

manage_router = SimpleRouter()
manage_router.register("devices", DeviceViewSet)
