"""Management API of webhook endpoints and deliveries (`/api/v1/manage/`)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import (
    ManagementViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    service_action,
)

from .. import services as webhooks
from ..filters import WebhookDeliveryFilter, WebhookEndpointFilter
from ..models import WebhookDelivery, WebhookEndpoint
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInput,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateInput,
    WebhookEndpointWithSecret,
)


@extend_schema_view(
    create=extend_schema(request=WebhookEndpointInput, responses={201: WebhookEndpointWithSecret}),
    update=extend_schema(request=WebhookEndpointUpdateInput),
    partial_update=extend_schema(request=WebhookEndpointUpdateInput),
)
class WebhookEndpointViewSet(ServiceCreateMixin, ServiceUpdateMixin, ManagementViewSet):
    """Tenant staff manage their tenant's endpoints; platform staff, every one and the
    platform-wide ones (no tenant: every tenant's events)."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilter
    create_input, create_service = WebhookEndpointInput, staticmethod(webhooks.endpoint_create)
    update_input = WebhookEndpointUpdateInput
    update_service = staticmethod(webhooks.endpoint_update)

    def create_response(self, created):
        body = WebhookEndpointSerializer(created.endpoint).data | {"secret": created.secret}
        return Response(body, status=201)

    enable = service_action(
        webhooks.endpoint_enable, name="enable", description="Send to this endpoint again."
    )
    disable = service_action(
        webhooks.endpoint_disable, name="disable", description="Stop sending to it."
    )

    @extend_schema(request=None, responses=WebhookEndpointWithSecret)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        secret = self.call(webhooks.endpoint_rotate_secret, endpoint)
        return Response(WebhookEndpointSerializer(endpoint).data | {"secret": secret})

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = self.call(webhooks.endpoint_send_test, self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=202)


class WebhookDeliveryViewSet(ManagementViewSet):
    """Every delivery with its attempts and the last response; `redeliver` sends again."""

    queryset = WebhookDelivery.objects.select_related("event", "endpoint")
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter

    redeliver = service_action(
        webhooks.delivery_redeliver,
        name="redeliver",
        description="Send again now, with the same webhook-id.",
    )
