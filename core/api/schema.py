"""OpenAPI (drf-spectacular): Relais' authentication classes, and every operation's error
responses (`AutoSchema`, the DEFAULT_SCHEMA_CLASS)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

from .views import NodeView, PublicNodeView, StatusCodeErrorsMixin


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
SiteKeyScheme = _bearer(
    "devices.api.authentication.SiteKeyAuthentication",
    "siteApiKey",
    "A NEOPRO site's `SITE_API_KEY` (64 hex), from register-site or resync.",
)


# --- Error responses -----------------------------------------------------------------------
# Every route's real refusals are documented once, here, from what the operation is (its
# input, authentication, path, throttling, view base), so a client generator and
# schemathesis see them. A view adds what only it gives with `error_statuses`, e.g. 412.

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a machine-readable `code` and a human `message`.",
    "properties": {
        "code": {"type": "string", "example": "VALIDATION_ERROR"},
        "message": {"type": "string"},
        "errors": {"description": "Per-field messages, on invalid input."},
    },
    "required": ["code", "message"],
}
STATUS_CODE_ERROR_SCHEMA = {
    "type": "object",
    "description": "Errors of the seeds' NestJS-style clients (CyberSensei).",
    "properties": {
        "statusCode": {"type": "integer"},
        "message": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"description": "Per-field messages, on invalid input."},
    },
    "required": ["statusCode", "message", "code"],
}
ERROR_DESCRIPTIONS = {
    400: "Invalid input, or a refusal with a domain code.",
    401: "Missing or invalid credentials.",
    403: "Authenticated, but not allowed.",
    404: "No such resource (or one the caller may not see).",
    409: "Conflicts with the resource's state.",
    412: "The resource changed since it was read (If-Match).",
    413: "Request body too large.",
    415: "Unsupported request content type.",
    429: "Throttled: retry after `Retry-After` seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with each operation's error responses."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for param in operation.get("parameters", []):
            # An empty optional query parameter is an absent one (django-filter's filters,
            # DRF's serializers of query strings): say so.
            if param["in"] == "query" and not param.get("required"):
                param["allowEmptyValue"] = True
        error = self._error_component()
        responses = operation["responses"]
        for status in sorted(self._error_statuses(operation)):
            responses.setdefault(
                str(status),
                {
                    "description": ERROR_DESCRIPTIONS.get(status, "Error."),
                    "content": {"application/json": {"schema": error.ref}},
                },
            )
        return operation

    def _error_component(self) -> ResolvedComponent:
        status_code_shape = isinstance(self.view, StatusCodeErrorsMixin)
        component = ResolvedComponent(
            name="StatusCodeError" if status_code_shape else "Error",
            type=ResolvedComponent.SCHEMA,
            object="StatusCodeError" if status_code_shape else "Error",
            schema=STATUS_CODE_ERROR_SCHEMA if status_code_shape else ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component

    def _error_statuses(self, operation) -> set[int]:
        view = self.view
        node = isinstance(view, PublicNodeView | NodeView)
        unsafe = self.method not in ("GET", "HEAD", "OPTIONS")
        params = operation.get("parameters", [])
        body = operation.get("requestBody")
        statuses = set(getattr(view, "error_statuses", ()))
        # Input, a state change or a node route (its services refuse with domain codes).
        if body or unsafe or node or any(p["in"] == "query" for p in params):
            statuses.add(400)
        if operation.get("security") and {} not in operation["security"]:
            statuses |= {401, 403}
        if any(p["in"] == "path" for p in params) or node or hasattr(view, "dialect_setting"):
            # Unknown ids; a dialect switched off; a node's unknown session, hardware, tenant.
            statuses.add(404)
        if unsafe and not node:
            statuses.add(409)  # state transitions, uniqueness, rows still referred to
        if body:
            statuses |= {413, 415}  # over DATA_UPLOAD_MAX_MEMORY_SIZE; not JSON nor a form
        if view.get_throttles():
            statuses.add(429)
        return statuses
