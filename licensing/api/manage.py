"""Management API of the licensing domain (`/api/v1/manage/`)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import ServiceViewSet
from core.tenancy import TenantScopedViewSetMixin

from .. import services
from ..filters import LicenseFilter, PolicyFilter, ProductFilter, TenantFilter
from ..models import License, Policy, Product, Tenant
from .serializers import (
    LicenseIssueInput,
    LicenseSerializer,
    LicenseUpdateInput,
    LicenseWithKey,
    PolicySerializer,
    ProductSerializer,
    TenantSerializer,
)


class ManageViewSet(TenantScopedViewSetMixin, viewsets.ModelViewSet):
    """Base of every management viewset: tenant scoping and model permissions."""


class TenantViewSet(ManageViewSet):
    queryset = Tenant.objects.all()
    serializer_class = TenantSerializer
    filterset_class = TenantFilter
    search_fields = ["name", "slug"]


class ProductViewSet(ManageViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter


class PolicyViewSet(ManageViewSet):
    queryset = Policy.objects.select_related("product")
    serializer_class = PolicySerializer
    filterset_class = PolicyFilter


@extend_schema_view(
    update=extend_schema(request=LicenseUpdateInput),
    partial_update=extend_schema(request=LicenseUpdateInput),
)
class LicenseViewSet(ServiceViewSet):
    """Licenses are issued, changed and moved between states only through services."""

    queryset = License.objects.select_related("tenant", "product", "policy")
    serializer_class = LicenseSerializer
    filterset_class = LicenseFilter
    update_input = LicenseUpdateInput
    update_service = staticmethod(services.license_update)

    @extend_schema(request=LicenseIssueInput, responses={201: LicenseWithKey})
    def create(self, request, *args, **kwargs):
        data = LicenseIssueInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        policy = fields.pop("policy")
        fields["tenant"] = self.tenant_for_create(fields["tenant"])
        issued = services.license_issue(product=policy.product, policy=policy, **fields)
        body = LicenseSerializer(issued.license).data | {"key": issued.key}
        return Response(body, status=201)

    @extend_schema(request=None, responses=LicenseSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self.transition(services.license_suspend)

    @extend_schema(request=None, responses=LicenseSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self.transition(services.license_reinstate)

    @extend_schema(request=None, responses=LicenseSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self.transition(services.license_revoke)

    @extend_schema(request=None, responses=LicenseSerializer)
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        return self.transition(services.license_renew)

    @extend_schema(request=None, responses=LicenseWithKey)
    @action(detail=True, methods=["post"], url_path="regenerate-key")
    def regenerate_key(self, request, pk=None):
        license = self.get_object()
        key = services.license_regenerate_key(license=license)
        return Response(LicenseSerializer(license).data | {"key": key})
