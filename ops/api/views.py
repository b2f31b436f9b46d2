"""Probes for orchestrators (liveness, readiness) and the Prometheus scrape."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views import View
from drf_spectacular.utils import extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..metrics import metrics_exposition
from ..readiness import readiness_check


class LiveView(APIView):
    """`GET /api/v1/health/live`: the process answers. Checks nothing external, so a
    database outage never gets every web container restarted."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("Live", {"status": serializers.CharField()}))
    def get(self, request):
        return Response({"status": "ok"})


class ReadyView(APIView):
    """`GET /api/v1/health/ready`: 200 when the database, the cache and the storage each
    answered within RELAIS_READY_TIMEOUT seconds; else 503 `NOT_READY` naming what failed."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Ready",
            {
                "status": serializers.CharField(),
                "checks": serializers.DictField(),
                "failed": serializers.ListField(child=serializers.CharField(), required=False),
            },
        )
    )
    def get(self, request):
        checks = readiness_check(timeout=settings.RELAIS_READY_TIMEOUT)
        failed = [name for name, result in checks.items() if result != "ok"]
        if not failed:
            return Response({"status": "ok", "checks": checks})
        body = {
            "code": "NOT_READY",
            "message": f"Not ready: {', '.join(failed)}.",
            "status": "unavailable",
            "failed": failed,
            "checks": checks,
        }
        return Response(body, status=503)


class MetricsView(View):
    """`GET /metrics`: the Prometheus text format, for a scraper sending
    `Authorization: Bearer <RELAIS_METRICS_TOKEN>`. A 404 while no token is configured (the
    route does not exist then), a 401 `AUTHENTICATION_FAILED` for a missing or wrong one."""

    def get(self, request):
        token = settings.RELAIS_METRICS_TOKEN
        if not token:
            return JsonResponse({"code": "NOT_FOUND", "message": "Not Found"}, status=404)
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            response = JsonResponse(
                {"code": "AUTHENTICATION_FAILED", "message": "A valid metrics token is required."},
                status=401,
            )
            response["WWW-Authenticate"] = "Bearer"
            return response
        body = metrics_exposition(multiprocess_dir=settings.PROMETHEUS_MULTIPROC_DIR)
        return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
