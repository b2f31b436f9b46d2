"""OpenAPI (drf-spectacular): Relais' authentication classes, and every operation's error
responses (`AutoSchema`, the DEFAULT_SCHEMA_CLASS)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from .serializers import FreeTextField, StrictSerializer
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


PublishableKeyScheme = _bearer(
    "documents.api.authentication.PublishableKeyAuthentication",
    "publishableKey",
    "A tenant's publishable read key `rlp_…` (a public frontend; or `?key=`).",
)


class NodeScheme(OpenApiAuthenticationExtension):
    """The node routes' one authenticator accepts any of three bearer credentials: three
    alternative schemes in the schema."""

    target_class = "core.api.authentication.NodeAuthentication"
    name = ["deviceToken", "licenseKey", "siteApiKey"]
    descriptions = [
        "Device token `dvt_…` returned once by register-device.",
        "License key, with `hardwareId` in the query or body.",
        "A NEOPRO site's `SITE_API_KEY` (64 hex), from register-site or resync.",
    ]

    def get_security_definition(self, auto_schema):
        return [{"type": "http", "scheme": "bearer", "description": d} for d in self.descriptions]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]


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
    400: (
        "Invalid input, or a refusal with a domain code; on every operation, "
        "`INVALID_CHARACTERS` for a control character in the path, a query parameter "
        "or the body."
    ),
    401: "Missing or invalid credentials.",
    403: "Authenticated, but not allowed.",
    404: "No such resource (or one the caller may not see).",
    409: "Conflicts with the resource's state.",
    412: "The resource changed since it was read (If-Match).",
    413: "Request body too large (`PAYLOAD_TOO_LARGE`).",
    415: "Unsupported request content type.",
    429: "Throttled: retry after `Retry-After` seconds.",
}


# --- Characters ----------------------------------------------------------------------------
# What core.text refuses, as patterns (ECMA-262 and Python `re` alike): control characters
# (Unicode Cc: C0, DEL, C1). Paths and query strings hold none (core.middleware); body text
# holds none but tabs and line breaks (core.api.parsers), and the single-line fields of
# StrictSerializer not those either. Lone surrogates, refused as well, are left out: no
# UTF-8 text holds one (only a JSON `\\ud800` escape can), and a pattern naming them cannot
# be encoded by the tools reading the schema (schemathesis fails on it).
_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
SINGLE_LINE_PATTERN = f"^[^{_CONTROLS}\\t\\n\\r]*$"
FREE_TEXT_PATTERN = f"^[^{_CONTROLS}]*$"


def _unconstrained_string(schema: dict) -> bool:
    """A string schema whose values are not already confined (by a format, choices or a
    pattern of their own) to characters without controls."""
    return schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema)


def _single_line(field) -> bool:
    """Whether StrictSerializer refuses tabs and line breaks in `field` (a list's child
    belongs to its list's serializer)."""
    parent = getattr(field, "parent", None)
    if isinstance(parent, serializers.ListField):
        parent = parent.parent
    return isinstance(parent, StrictSerializer) and not isinstance(field, FreeTextField)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with the characters each input refuses and each
    operation's error responses."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and _unconstrained_string(schema):
            schema["pattern"] = SINGLE_LINE_PATTERN if _single_line(field) else FREE_TEXT_PATTERN
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # it refuses fields it does not know
        return schema

    def _insert_field_validators(self, field, schema):
        # Set aside while drf-spectacular reads the validators: a pattern on a field that
        # may be blank makes it offer `oneOf [pattern, maxLength 0]`, which "" matches twice
        # (so fails); ours matches "" already.
        ours = schema.get("pattern") in (SINGLE_LINE_PATTERN, FREE_TEXT_PATTERN)
        pattern = schema.pop("pattern") if ours else None
        super()._insert_field_validators(field, schema)
        if pattern:
            target = schema["oneOf"][0] if "oneOf" in schema else schema
            if _unconstrained_string(target):
                target["pattern"] = pattern

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for param in operation.get("parameters", []):
            # An empty optional query parameter is an absent one (django-filter's filters,
            # DRF's serializers of query strings): say so.
            if param["in"] == "query" and not param.get("required"):
                param["allowEmptyValue"] = True
            schema = param.get("schema", {})
            for string in (schema, schema.get("items", {})):
                # Query strings hold no free text: tabs and line breaks are refused too.
                if _unconstrained_string(string) or string.get("pattern") == FREE_TEXT_PATTERN:
                    string["pattern"] = SINGLE_LINE_PATTERN
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
        # Every operation: a control character in its path or in any query parameter,
        # declared or not, is refused by core.middleware before the view.
        statuses = {400, *getattr(view, "error_statuses", ())}
        if operation.get("security") and {} not in operation["security"]:
            statuses |= {401, 403}
        if any(p["in"] == "path" for p in params) or node or hasattr(view, "dialect_setting"):
            # Unknown ids; a dialect switched off; a node's unknown session, hardware, tenant.
            statuses.add(404)
        if unsafe and not node:
            statuses.add(409)  # state transitions, uniqueness, rows still referred to
        if body:
            statuses |= {413, 415}  # over RELAIS_MAX_BODY_BYTES; not JSON nor a form
        if view.get_throttles():
            statuses.add(429)
        return statuses
