import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _storage():
    # A read (HEAD on S3): a health probe must not write.
    default_storage.exists("health-probe")


CHECKS = {"database": _database, "cache": _cache, "storage": _storage}
# Figures the apps add to the answer (`{name: info()}`), registered in their AppConfig.ready().
SECTIONS: dict[str, Callable[[], dict]] = {}


def health_section_register(name: str, info: Callable[[], dict]) -> None:
    """Add `name: info()` to every health answer (figures: an error there never fails it)."""
    SECTIONS[name] = info


class HealthView(APIView):
    """`GET /api/v1/health`: database, cache and storage each `ok` or the error's class."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Health", {"status": serializers.CharField(), "checks": serializers.DictField()}
        )
    )
    def get(self, request):
        results = {}
        for name, check in CHECKS.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - a health check reports, it never raises
                results[name] = f"error: {type(exc).__name__}"
        healthy = all(value == "ok" for value in results.values())
        body = {"status": "ok" if healthy else "degraded", "checks": results}
        for name, info in SECTIONS.items():
            try:
                body[name] = info()
            except Exception as exc:  # noqa: BLE001 - figures, never a failure
                body[name] = {"error": type(exc).__name__}
        return Response(body, status=200 if healthy else 503)
