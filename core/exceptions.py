"""Every API error is JSON with a machine-readable `code` and a human `message`."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from .api.parsers import ForbiddenCharacter

_CODES = {
    ForbiddenCharacter: "INVALID_CHARACTERS",
    exceptions.ParseError: "PARSE_ERROR",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "THROTTLED",
    exceptions.ValidationError: "VALIDATION_ERROR",
}


class ApiError(exceptions.APIException):
    """A refusal with a domain code, e.g. ApiError("EXPIRED", "License expired", 403)."""

    def __init__(self, code: str, message: str, status_code: int = 400, **extra):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.extra = extra


def api_exception_handler(exc, context):
    # Imported here: DRF's views load the API settings, whose classes import this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApiError):
        return Response({"code": exc.code, "message": exc.message, **exc.extra}, exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE (or too many form fields): a 413, not a vague 400;
        # the one code of the one body limit (core.api.parsers.bounded_body), the proxy's too.
        message = _("Request body too large.")
        return Response({"code": "PAYLOAD_TOO_LARGE", "message": message}, 413)
    if isinstance(exc, ProtectedError | RestrictedError):
        message = _("Other records still refer to this one.")
        return Response({"code": "PROTECTED", "message": message}, 409)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "ERROR")
    body = {"code": code}
    if isinstance(exc, exceptions.ValidationError):
        body["message"] = _("Invalid input.")
        body["errors"] = response.data
    else:
        body["message"] = str(response.data.get("detail", exc.detail))
    response.data = body
    return response
