"""Node routes receiving reports: thin views over telemetry.ingest."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.parsers import SafeJSONParser
from core.api.views import DialectView, NodeView, StatusCodeErrorsMixin
from devices.services.nodes import node_identify
from licensing.selectors import tenant_node_license

from ..hooks import heartbeat_commands
from ..services.ingest import heartbeat_checked, reports_record
from ..validation import canonical_reports, cybersensei_report
from .serializers import (
    CyberSenseiTelemetryInput,
    CyberSenseiTelemetryOutput,
    HeartbeatInput,
    HeartbeatOutput,
    TelemetryInput,
    TelemetryOutput,
)

# The seed's exact words: its client shows them.
CYBERSENSEI_RECORDED = "Télémétrie enregistrée avec succès"


def heartbeat_interval_ms() -> int:
    return settings.RELAIS_HEARTBEAT_INTERVAL_SECONDS * 1000


def telemetry_answer(request, device, data) -> dict:
    """Store `data` (one report or `{reports}`) from `device`; the answer's body."""
    now = timezone.now()
    reports = canonical_reports(data, now=now)
    count = reports_record(
        tenant_id=device.tenant_id, device=device, reports=reports, received_at=now
    )
    return {"accepted": count, "serverTime": now, "heartbeatInterval": heartbeat_interval_ms()}


class TelemetryView(NodeView):
    """`POST /api/v1/telemetry`: one report, or `{reports: [...]}` (at most 500, stored all
    or none). Budget: one INSERT (authentication is kept per process)."""

    parser_classes = [SafeJSONParser]

    @extend_schema(request=TelemetryInput, responses={201: TelemetryOutput})
    def post(self, request):
        return Response(telemetry_answer(request, request.user.device, request.data), status=201)


def heartbeat_answer(request, device, data) -> dict:
    """Store the heartbeat `data` of `device`; the answer's body, with the commands queued
    for the site, now delivered (by the provider the commands app registers in
    telemetry.hooks: telemetry does not import it; no query when nothing was queued)."""
    now = timezone.now()
    site_id, report = heartbeat_checked(device=device, payload=data, now=now)
    reports_record(tenant_id=device.tenant_id, device=device, reports=[report], received_at=now)
    return {
        "ok": True,
        "siteId": site_id,
        "serverTime": now,
        "heartbeatInterval": heartbeat_interval_ms(),
        "commands": heartbeat_commands(device=device),
    }


class HeartbeatView(NodeView):
    """`POST /api/v1/devices/heartbeat`, the NEOPRO agent's heartbeat `{siteId, timestamp,
    metrics{cpu, memory, temperature, disk, uptime}}` (a NEOPRO site is a device: `siteId`
    is its id). The answer names the interval the server wants, in milliseconds like the
    agent's HEARTBEAT_INTERVAL."""

    parser_classes = [SafeJSONParser]

    @extend_schema(request=HeartbeatInput, responses=HeartbeatOutput)
    def post(self, request):
        return Response(heartbeat_answer(request, request.user.device, request.data))


class CyberSenseiTelemetryView(StatusCodeErrorsMixin, DialectView):
    """`POST /telemetry`: the CyberSensei node's report, by `tenantId` as the seed does (the
    tenant must hold a valid license). 201 is the only answer its client counts as sent.
    A node that sends `nodeId` reports as its own device (registered on its first report,
    within the license's seats); one that does not feeds its tenant's series."""

    dialect_setting = "RELAIS_DIALECT_CYBERSENSEI"
    default_language = "fr"  # the seed's messages; its client sends no Accept-Language
    parser_classes = [SafeJSONParser]

    @extend_schema(request=CyberSenseiTelemetryInput, responses={201: CyberSenseiTelemetryOutput})
    def post(self, request):
        now = timezone.now()
        sent = cybersensei_report(request.data, now=now)
        license = tenant_node_license(sent.tenant_id)
        device = None
        if sent.node_id:
            device = node_identify(
                license=license, hardware_id=sent.node_id, version=sent.report.version
            )
        reports_record(
            tenant_id=license.tenant_id, device=device, reports=[sent.report], received_at=now
        )
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        body = {"success": True, "message": CYBERSENSEI_RECORDED, "timestamp": stamp}
        return Response(body, status=201)
