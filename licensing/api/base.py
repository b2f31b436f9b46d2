"""Building blocks every app's API uses: strict input, throttles, the dialect error shape."""

from django.conf import settings
from rest_framework import serializers
from rest_framework.throttling import ScopedRateThrottle


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
