"""OpenAPI descriptions of Relais' own authentication classes (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def _bearer(target: str, scheme_name: str, description: str):
    """Register a bearer scheme for `target` (extensions register by being subclassed)."""

    class Scheme(OpenApiAuthenticationExtension):
        target_class = target
        name = scheme_name

        def get_security_definition(self, auto_schema):
            return {"type": "http", "scheme": "bearer", "description": description}

    return Scheme


ApiTokenScheme = _bearer(
    "licensing.api.authentication.ApiTokenAuthentication",
    "apiToken",
    "Management API token `rlt_…` (`manage.py create_api_token`).",
)
DeviceTokenScheme = _bearer(
    "devices.api.authentication.DeviceTokenAuthentication",
    "deviceToken",
    "Device token `dvt_…` returned once by register-device.",
)
LicenseKeyScheme = _bearer(
    "devices.api.authentication.LicenseKeyAuthentication",
    "licenseKey",
    "License key, with `hardwareId` in the query or body.",
)
