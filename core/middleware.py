"""Errors outside the API views (a DEBUG 404 page, a CSRF failure, a crash in middleware)
still reach API clients as JSON with a `code`."""

from django.conf import settings
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from .text import describe, forbidden_character

NOT_API = ("/admin/", "/static/", "/media/", "/api/docs/")
CODES = {400: "BAD_REQUEST", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class JsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and not request.path.startswith(NOT_API)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = CODES.get(
                response.status_code, "SERVER_ERROR" if response.status_code >= 500 else "ERROR"
            )
            return JsonResponse(
                {"code": code, "message": response.reason_phrase}, status=response.status_code
            )
        return response


class QueryControlCharactersMiddleware:
    """Refuses a control character (or NUL) in the path or any query parameter, name or
    value, before any view, authentication class, filter or admin changelist reads it:
    query strings hold no free text. Request bodies are checked by the API's parsers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = forbidden_character(request.path_info)
        if found is None:
            for name, values in request.GET.lists():
                found = forbidden_character(name) or next(
                    filter(None, (forbidden_character(v) for v in values)), None
                )
                if found is not None:
                    break
        if found is not None:
            message = f"Control character {describe(found)} is not allowed in input."
            body = {"code": "INVALID_CHARACTERS", "message": message}
            if _seed_shaped(request):
                body = {"statusCode": 400, **body}
            return JsonResponse(body, status=400)
        return self.get_response(request)


def _seed_shaped(request) -> bool:
    """Whether the route answers errors in a seed's shape (`{statusCode, message, code}`)."""
    from .api.views import StatusCodeErrorsMixin

    try:
        view_class = getattr(resolve(request.path_info).func, "view_class", None)
    except Resolver404:
        return False
    return view_class is not None and issubclass(view_class, StatusCodeErrorsMixin)


class RequestSizeLimitsMiddleware:
    """JSON 414 / 431 for a request line or headers beyond RELAIS_MAX_REQUEST_LINE,
    RELAIS_MAX_HEADER_FIELD_SIZE or RELAIS_MAX_HEADER_FIELDS. gunicorn's own limits
    (docker/gunicorn.conf.py) sit above these, so such requests reach Django and get JSON;
    only those beyond gunicorn's get its plain 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        target = meta.get("RAW_URI") or request.get_full_path()
        line = len(request.method or "") + len(target) + len(meta.get("SERVER_PROTOCOL", "")) + 2
        if line > settings.RELAIS_MAX_REQUEST_LINE:
            return JsonResponse(
                {
                    "code": "URI_TOO_LONG",
                    "message": f"The request line exceeds {settings.RELAIS_MAX_REQUEST_LINE} bytes.",
                },
                status=414,
            )
        # Sizes as on the wire: `Name: value`; HTTP_X_FOO is the header X-Foo.
        fields = [
            (len(key) - 5 if key.startswith("HTTP_") else len(key)) + 2 + len(str(value))
            for key, value in meta.items()
            if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")
        ]
        if (
            len(fields) > settings.RELAIS_MAX_HEADER_FIELDS
            or max(fields, default=0) > settings.RELAIS_MAX_HEADER_FIELD_SIZE
        ):
            message = (
                f"At most {settings.RELAIS_MAX_HEADER_FIELDS} header fields of at most "
                f"{settings.RELAIS_MAX_HEADER_FIELD_SIZE} bytes each."
            )
            return JsonResponse({"code": "HEADERS_TOO_LARGE", "message": message}, status=431)
        return self.get_response(request)
