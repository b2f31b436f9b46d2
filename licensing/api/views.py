from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.views import DialectView, NodeView, PublicNodeView, StatusCodeErrorsMixin

from ..codes import Code, license_refusal, license_status_code, message
from ..license_files import license_file_issue
from ..services import license_validate
from .serializers import (
    CyberSenseiValidateInput,
    CyberSenseiValidateOutput,
    LicenseFileOutput,
    NodeLicenseInput,
    NodeLicenseOutput,
    ValidateInput,
    ValidateOutput,
)


class LicenseValidateView(PublicNodeView):
    """`POST /api/v1/licenses/validate {key, product?}`: every known outcome is a 200 with
    `valid` and a machine-readable `code`; malformed input is a 400."""

    throttle_scope = "license_validate"

    @extend_schema(request=ValidateInput, responses=ValidateOutput)
    def post(self, request):
        data = ValidateInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = license_validate(**data.validated_data)
        body = {
            "valid": result.valid,
            "code": result.code,
            "message": result.message,
            "license": result.license,
        }
        return Response(ValidateOutput(body).data)


class CyberSenseiLicenseValidateView(StatusCodeErrorsMixin, DialectView):
    """`GET /api/license/validate?key=`: the CyberSensei node's start-up check."""

    dialect_setting = "RELAIS_DIALECT_CYBERSENSEI"
    default_language = "fr"  # the seed's messages; its client sends no Accept-Language
    throttle_scope = "license_validate"

    @extend_schema(parameters=[CyberSenseiValidateInput], responses=CyberSenseiValidateOutput)
    def get(self, request):
        data = CyberSenseiValidateInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        result = license_validate(key=data.validated_data["key"])
        if not result.valid:
            raise license_refusal(result.code, seed=True)
        license = result.license
        body = {
            "valid": True,
            "tenantId": license.tenant_id,
            "tenantName": license.tenant.name,
            "expiresAt": license.expires_at,
            "usageCount": license.validation_count,
            "maxUsageCount": license.max_validations,
        }
        return Response(CyberSenseiValidateOutput(body).data)


class NodeLicenseView(NodeView):
    """`GET /api/v1/license`: the calling node's license (a license that does not validate
    is refused by authentication, with its code). Counts no validation."""

    license_only_ok = True

    @extend_schema(parameters=[NodeLicenseInput], responses=NodeLicenseOutput)
    def get(self, request):
        NodeLicenseInput(data=request.query_params).is_valid(raise_exception=True)
        license, device = request.user.license, request.user.device
        code = license_status_code(license)
        body = {
            "valid": code == Code.VALID,
            "code": code,
            "message": message(code),
            "license": license,
            "device": device,
            "offlineValidity": int(license.policy.offline_validity.total_seconds()),
        }
        return Response(NodeLicenseOutput(body).data)


class LicenseFileView(NodeView):
    """`GET /api/v1/license/file`: a signed offline license file bound to the calling
    device (a device token, or the license key with `hardwareId`)."""

    @extend_schema(parameters=[NodeLicenseInput], responses=LicenseFileOutput)
    def get(self, request):
        NodeLicenseInput(data=request.query_params).is_valid(raise_exception=True)
        issued = license_file_issue(license=request.user.license, device=request.user.device)
        body = {
            "licenseFile": issued.text,
            "kid": issued.kid,
            "issuedAt": issued.data["issuedAt"],
            "validUntil": issued.valid_until,
        }
        return Response(LicenseFileOutput(body).data)
