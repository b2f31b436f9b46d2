"""`GET|PUT /api/v1/manage/maintenance-windows[?tenant=]`: a tenant's maintenance windows
(devices.windows), read with `devices.view_device` and replaced with
`devices.change_device`. Tenant staff reach their own tenant's; platform staff name one."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.parsers import SafeJSONParser
from core.exceptions import ApiError
from core.tenancy import tenant_for_user

from ..services.windows import maintenance_windows_set


class WindowsPermission(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = "view" if request.method in SAFE_METHODS else "change"
        return user.has_perm(f"devices.{action}_device")


class WindowsBody(serializers.Serializer):
    windows = serializers.ListField(
        child=serializers.DictField(),
        help_text='[{"days": ["mon"], "start": "02:00", "end": "05:00", "timezone": '
        '"Europe/Paris", "site"?: "<device id>", "group"?: "<tag>"}] or, for a NEOPRO '
        'site, {"site": …, "autoUpdateEnabled": true, "autoUpdateHour": 3}',
    )


class WindowsOutput(WindowsBody):
    tenant = serializers.UUIDField()


TENANT = OpenApiParameter("tenant", str, description="Platform staff: the tenant's id.")


class MaintenanceWindowsView(APIView):
    permission_classes = [WindowsPermission]
    parser_classes = [SafeJSONParser]
    error_statuses = (404,)  # TENANT_NOT_FOUND (core.api.schema documents the error shape)

    def _tenant(self, request):
        return tenant_for_user(request.user, request.query_params.get("tenant"))

    @extend_schema(parameters=[TENANT], responses=WindowsOutput)
    def get(self, request):
        tenant = self._tenant(request)
        return Response({"tenant": str(tenant.pk), "windows": tenant.maintenance_windows})

    @extend_schema(parameters=[TENANT], request=WindowsBody, responses=WindowsOutput)
    def put(self, request):
        tenant = self._tenant(request)
        if not isinstance(request.data, dict) or set(request.data) != {"windows"}:
            raise ApiError("INVALID_WINDOWS", _('The body is {"windows": [...]}.'), 400)
        windows = maintenance_windows_set(
            tenant=tenant, windows=request.data["windows"], actor=request.user
        )
        return Response({"tenant": str(tenant.pk), "windows": windows})
