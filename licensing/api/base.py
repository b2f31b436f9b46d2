"""Building blocks every app's API uses: strict input, throttles, the dialect error shape."""

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.throttling import ScopedRateThrottle

# The largest value a PostgreSQL integer column holds: input beyond it is a 400, not a 500.
INT_MAX = 2**31 - 1


class SafeJSONParser(JSONParser):
    """JSON parser that answers a 400 for documents nested deep enough to exhaust the
    interpreter's recursion limit, instead of a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only: an `Accept: text/html` gets JSON, not a 406."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StrictSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not know, so a typo is an error."""

    def validate(self, attrs):
        if hasattr(self, "initial_data") and hasattr(self.initial_data, "keys"):
            unknown = set(self.initial_data.keys()) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in sorted(unknown)}
                )
        return super().validate(attrs)


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, with rates read from settings at request time."""

    def get_rate(self):
        return settings.RELAIS_THROTTLE_RATES.get(self.scope)


class StatusCodeErrorsMixin:
    """Errors shaped `{statusCode, message, code}`: the seeds' NestJS-style clients read them."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        data = response.data if isinstance(response.data, dict) else {}
        response.data = {
            "statusCode": response.status_code,
            "message": data.get("message", ""),
            "code": data.get("code", "ERROR"),
        }
        if "errors" in data:
            response.data["errors"] = data["errors"]
        return response
