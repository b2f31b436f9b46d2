"""`POST /api/v1/manage/force-update {release, devices | hardwareIds}`: emit ITStock's
`force-update` to those devices' rooms now (tenant staff: their own devices only)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import StrictSerializer
from core.exceptions import ApiError
from core.tenancy import scope_for_user
from devices.models import Device
from releases.models import Release

from ..force_update import push_force_update


class CanForceUpdates(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("devices.change_device"))


class ForceUpdateInput(StrictSerializer):
    release = serializers.UUIDField()
    devices = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=1000)
    hardwareIds = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=1000
    )


class ForceUpdateView(APIView):
    permission_classes = [CanForceUpdates]
    error_statuses = (404, 409)  # an unknown release; one not published

    @extend_schema(
        request=ForceUpdateInput,
        responses=inline_serializer("ForcedUpdate", {"sent": serializers.IntegerField()}),
    )
    def post(self, request):
        data = ForceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        if not d.get("devices") and not d.get("hardwareIds"):
            raise ApiError("VALIDATION_ERROR", "Name `devices` or `hardwareIds`.", 400)
        release = scope_for_user(Release.objects, request.user).filter(pk=d["release"]).first()
        if release is None:
            raise ApiError("NOT_FOUND", "No such release.", 404)
        devices = scope_for_user(Device.objects, request.user, write=True)
        if d.get("devices"):
            devices = devices.filter(pk__in=d["devices"])
        else:
            devices = devices.filter(hardware_id__in=d["hardwareIds"])
        sent = push_force_update(release=release, devices=list(devices), actor=request.user)
        return Response({"sent": sent})
