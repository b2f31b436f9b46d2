"""Errors outside the API views (a DEBUG 404 page, a CSRF failure, a crash in middleware)
still reach API clients as JSON with a `code`."""

from django.http import JsonResponse

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
            return JsonResponse({"code": "INVALID_CHARACTERS", "message": message}, status=400)
        return self.get_response(request)
