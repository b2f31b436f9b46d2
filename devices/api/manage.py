from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.tenancy import TenantScopedViewSetMixin

from .. import services
from ..filters import DeviceFilter
from ..models import Device
from .serializers import DeviceSerializer


class DeviceViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Devices register themselves; staff read them, deactivate them, rotate their token."""

    queryset = Device.objects.select_related("tenant", "license", "product")
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilter

    @extend_schema(request=None, responses=DeviceSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        device = services.device_deactivate(device=self.get_object())
        return Response(DeviceSerializer(device).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("RotatedToken", {"deviceToken": serializers.CharField()}),
    )
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        token = services.device_rotate_token(device=self.get_object())
        return Response({"deviceToken": token})
