from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.authentication import bearer_token
from core.api.throttles import auth_failure_record, auth_failures_guard, auth_success_record
from core.api.views import NodeView, PublicNodeView
from core.exceptions import ApiError
from licensing.codes import Code, license_refusal
from licensing.keys import license_key_normalize

from ..services.devices import device_register
from .serializers import PingOutput, RegisterInput, RegisterOutput


class RegisterDeviceView(PublicNodeView):
    """`POST /api/v1/updates/register-device` with the license key as Bearer. Idempotent per
    `hardwareId`: 201 with a device token the first time, 200 afterwards (no new token unless
    `rotateToken`)."""

    # Refusals of the key it checks itself, besides core.api.schema's rules.
    error_statuses = (401, 403, 404, 409)

    throttle_scope = "node"

    @extend_schema(request=RegisterInput, responses={200: RegisterOutput, 201: RegisterOutput})
    def post(self, request):
        key = bearer_token(request)
        credential = license_key_normalize(key) if key else None
        auth_failures_guard(request, credential)
        if not key:
            auth_failure_record(request)
            raise license_refusal(Code.NOT_FOUND)
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            registration = device_register(
                license_key=key,
                hardware_id=d["hardwareId"],
                name=d.get("machineName", ""),
                os_version=d.get("osVersion", ""),
                app_version=d.get("appVersion", ""),
                platform=d.get("platform", ""),
                channel=d.get("channel", ""),
                product=d.get("product"),
                rotate_token=d["rotateToken"],
            )
        except ApiError as exc:
            if exc.code == Code.NOT_FOUND:  # an unknown key: a guess, counted per address
                auth_failure_record(request, credential)
            raise
        auth_success_record(credential)
        device = registration.device
        body = {
            "deviceId": device.pk,
            "deviceToken": registration.token,
            "hardwareId": device.hardware_id,
            "registered": registration.created,
            "tenantId": device.tenant_id,
            "licenseStatus": device.license.status,
            "channel": device.channel,
        }
        return Response(RegisterOutput(body).data, status=201 if registration.created else 200)


def ping_body(principal) -> dict:
    device = principal.device
    return {"ok": True, "deviceId": device.pk if device else None, "serverTime": timezone.now()}


class PingView(NodeView):
    """`GET /api/v1/ping`: the nodes' connection test, and the floor hot paths are measured
    against (authentication and nothing else)."""

    license_only_ok = True

    @extend_schema(responses=PingOutput)
    def get(self, request):
        return Response(ping_body(request.user))
