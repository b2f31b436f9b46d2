from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import ManagementViewSet, ServiceUpdateMixin, service_action

from ..filters import DeviceFilter
from ..models import Device
from ..services import devices as services
from .serializers import DeviceSerializer, DeviceUpdateInput


@extend_schema(methods=["PUT", "PATCH"], request=DeviceUpdateInput)
class DeviceViewSet(ServiceUpdateMixin, ManagementViewSet):
    """Devices register themselves; staff read them, rename or tag them, deactivate them,
    rotate their token."""

    queryset = Device.objects.select_related("tenant", "license", "product")
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilter
    update_input, update_service = DeviceUpdateInput, staticmethod(services.device_update)

    deactivate = service_action(
        services.device_deactivate,
        name="deactivate",
        description="Free the device's seat; its token stops working.",
    )

    @extend_schema(
        request=None,
        responses=inline_serializer("RotatedToken", {"deviceToken": serializers.CharField()}),
    )
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        token = self.call(services.device_rotate_token, self.get_object())
        return Response({"deviceToken": token})
