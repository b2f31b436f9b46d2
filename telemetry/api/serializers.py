"""The bodies, for the OpenAPI schema: the views check them by hand (telemetry/validation.py,
a hot path) with the same rules."""

from rest_framework import serializers

from ..models import TelemetryReport


class ReportInput(serializers.Serializer):
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True), required=False)
    reportedAt = serializers.DateTimeField(required=False)  # noqa: N815
    uptime = serializers.IntegerField(min_value=0, required=False, help_text="Seconds.")
    version = serializers.CharField(max_length=100, required=False)
    kind = serializers.ChoiceField(TelemetryReport.Kind.choices, required=False)


class TelemetryInput(ReportInput):
    reports = ReportInput(many=True, required=False, help_text="A batch of at most 500.")
    hardwareId = serializers.CharField(required=False)  # noqa: N815


class TelemetryOutput(serializers.Serializer):
    accepted = serializers.IntegerField()
    serverTime = serializers.DateTimeField()  # noqa: N815
    heartbeatInterval = serializers.IntegerField(help_text="Milliseconds.")  # noqa: N815


class HeartbeatMetrics(serializers.Serializer):
    cpu = serializers.FloatField(allow_null=True, required=False)
    memory = serializers.FloatField(allow_null=True, required=False)
    temperature = serializers.FloatField(allow_null=True, required=False)
    disk = serializers.FloatField(allow_null=True, required=False)
    uptime = serializers.IntegerField(allow_null=True, required=False, help_text="Milliseconds.")


class HeartbeatInput(serializers.Serializer):
    siteId = serializers.CharField(help_text="The device's id.")  # noqa: N815
    timestamp = serializers.IntegerField(help_text="Epoch milliseconds.")
    metrics = HeartbeatMetrics()
    hardwareId = serializers.CharField(required=False)  # noqa: N815


class HeartbeatOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    siteId = serializers.CharField()  # noqa: N815
    serverTime = serializers.DateTimeField()  # noqa: N815
    heartbeatInterval = serializers.IntegerField(help_text="Milliseconds.")  # noqa: N815
    commands = serializers.ListField(
        child=serializers.DictField(),
        help_text="Commands queued for the site, `{id, type, data}`, now delivered.",
    )


class CyberSenseiTelemetryInput(serializers.Serializer):
    tenantId = serializers.UUIDField()  # noqa: N815
    uptime = serializers.IntegerField(min_value=0)
    activeUsers = serializers.IntegerField(min_value=0)  # noqa: N815
    exercisesCompletedToday = serializers.IntegerField(min_value=0)  # noqa: N815
    aiLatency = serializers.FloatField(allow_null=True, required=False)  # noqa: N815
    version = serializers.CharField(required=False)
    additionalData = serializers.DictField(required=False, allow_null=True)  # noqa: N815
    nodeId = serializers.CharField(  # noqa: N815
        required=False,
        max_length=200,
        help_text="Not in the seed: names the node, which then reports as its own device.",
    )


class CyberSenseiTelemetryOutput(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    timestamp = serializers.CharField()
