"""Errors outside the API views (a DEBUG 404 page, a CSRF failure, a crash in middleware)
still reach API clients as JSON with a `code`."""

from django.http import JsonResponse

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
