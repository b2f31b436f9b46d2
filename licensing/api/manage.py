"""Management API of the licensing domain (`/api/v1/manage/`)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import (
    ManagementViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    service_action,
)

from .. import services
from ..filters import LicenseFilter, PolicyFilter, ProductFilter, TenantFilter
from ..models import License, Policy, Product, Tenant
from .serializers import (
    LicenseIssueInput,
    LicenseSerializer,
    LicenseUpdateInput,
    LicenseWithKey,
    PolicyInput,
    PolicySerializer,
    PolicyUpdateInput,
    ProductInput,
    ProductSerializer,
    ProductUpdateInput,
    TenantInput,
    TenantSerializer,
    TenantUpdateInput,
)


def _writes(create_input, update_input, serializer):
    """The OpenAPI description of a resource's service-backed create and update."""
    return extend_schema_view(
        create=extend_schema(request=create_input, responses={201: serializer}),
        update=extend_schema(request=update_input),
        partial_update=extend_schema(request=update_input),
    )


class _SwitchableViewSet(ServiceCreateMixin, ServiceUpdateMixin, ManagementViewSet):
    """Rows that are deactivated, never deleted: history and licenses refer to them."""


@_writes(TenantInput, TenantUpdateInput, TenantSerializer)
class TenantViewSet(_SwitchableViewSet):
    queryset = Tenant.objects.all()
    serializer_class = TenantSerializer
    filterset_class = TenantFilter
    search_fields = ["name", "slug"]
    create_input, create_service = TenantInput, staticmethod(services.tenant_create)
    update_input, update_service = TenantUpdateInput, staticmethod(services.tenant_update)

    deactivate = service_action(
        services.tenant_deactivate,
        name="deactivate",
        description="Switch the customer off: its licenses stop.",
    )
    activate = service_action(
        services.tenant_activate, name="activate", description="Switch the customer back on."
    )


@_writes(ProductInput, ProductUpdateInput, ProductSerializer)
class ProductViewSet(_SwitchableViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    create_input, create_service = ProductInput, staticmethod(services.product_create)
    update_input, update_service = ProductUpdateInput, staticmethod(services.product_update)

    deactivate = service_action(
        services.product_deactivate,
        name="deactivate",
        description="Retire: no new policy, license or release.",
    )
    activate = service_action(
        services.product_activate,
        name="activate",
        description="Take the product back into service.",
    )


@_writes(PolicyInput, PolicyUpdateInput, PolicySerializer)
class PolicyViewSet(_SwitchableViewSet):
    queryset = Policy.objects.select_related("product")
    serializer_class = PolicySerializer
    filterset_class = PolicyFilter
    create_input, create_service = PolicyInput, staticmethod(services.policy_create)
    update_input, update_service = PolicyUpdateInput, staticmethod(services.policy_update)

    deactivate = service_action(
        services.policy_deactivate,
        name="deactivate",
        description="Issue no new license from this policy.",
    )
    activate = service_action(
        services.policy_activate,
        name="activate",
        description="Issue licenses from this policy again.",
    )


@extend_schema_view(
    create=extend_schema(request=LicenseIssueInput, responses={201: LicenseWithKey}),
    update=extend_schema(request=LicenseUpdateInput),
    partial_update=extend_schema(request=LicenseUpdateInput),
)
class LicenseViewSet(ServiceCreateMixin, ServiceUpdateMixin, ManagementViewSet):
    """Licenses are issued, changed and moved between states only through services, by
    platform staff: tenant staff read their own."""

    queryset = License.objects.select_related("tenant", "product", "policy")
    serializer_class = LicenseSerializer
    filterset_class = LicenseFilter
    create_input, create_service = LicenseIssueInput, staticmethod(services.license_issue)
    update_input, update_service = LicenseUpdateInput, staticmethod(services.license_update)

    def create_response(self, issued):
        return Response(LicenseSerializer(issued.license).data | {"key": issued.key}, status=201)

    suspend = service_action(services.license_suspend, name="suspend", description="Suspend.")
    reinstate = service_action(
        services.license_reinstate, name="reinstate", description="Lift a suspension."
    )
    revoke = service_action(services.license_revoke, name="revoke", description="Revoke for good.")
    renew = service_action(
        services.license_renew, name="renew", description="Extend by the policy's duration."
    )

    @extend_schema(request=None, responses=LicenseWithKey)
    @action(detail=True, methods=["post"], url_path="regenerate-key")
    def regenerate_key(self, request, pk=None):
        license = self.get_object()
        key = self.call(services.license_regenerate_key, license)
        return Response(LicenseSerializer(license).data | {"key": key})
