from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.views import DialectView, PublicNodeView, StatusCodeErrorsMixin

from ..codes import license_refusal
from ..services import license_validate
from .serializers import (
    CyberSenseiValidateInput,
    CyberSenseiValidateOutput,
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
