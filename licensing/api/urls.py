from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api.health import HealthView
from core.api.keys import KeysView, KeyView

from .manage import LicenseViewSet, PolicyViewSet, ProductViewSet, TenantViewSet
from .views import (
    CyberSenseiLicenseValidateView,
    LicenseFileView,
    LicenseValidateView,
    NodeLicenseView,
)

manage_router = SimpleRouter()
manage_router.register("tenants", TenantViewSet)
manage_router.register("products", ProductViewSet)
manage_router.register("policies", PolicyViewSet)
manage_router.register("licenses", LicenseViewSet)

# Under /api/v1/
node_urlpatterns = [
    path("licenses/validate", LicenseValidateView.as_view(), name="license-validate"),
    path("license", NodeLicenseView.as_view(), name="node-license"),
    path("license/file", LicenseFileView.as_view(), name="license-file"),
    path("health", HealthView.as_view(), name="health"),
    path("keys", KeysView.as_view(), name="signing-keys"),
    path("keys/<str:kid>", KeyView.as_view(), name="signing-key"),
]

# At the site root, as the CyberSensei nodes call them.
cybersensei_urlpatterns = [
    path(
        "api/license/validate",
        CyberSenseiLicenseValidateView.as_view(),
        name="cybersensei-license-validate",
    ),
]
