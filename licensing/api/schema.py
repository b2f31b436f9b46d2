"""OpenAPI descriptions of Relais' own authentication classes (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "licensing.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Management API token `rlt_…` (`manage.py create_api_token`).",
        }


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "devices.api.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Device token `dvt_…` returned once by register-device.",
        }


class LicenseKeyScheme(OpenApiAuthenticationExtension):
    target_class = "devices.api.authentication.LicenseKeyAuthentication"
    name = "licenseKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "License key, with `hardwareId` in the query or body.",
        }
