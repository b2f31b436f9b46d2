from django.utils import timezone

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory
from telemetry.models import (
    Alert,
    AlertRule,
    LatestMetrics,
    LicenseExpiryNotice,
    TelemetryReport,
    TelemetryRollup,
)


def device_of(tenant):
    return DeviceFactory(license=LicenseFactory(tenant=tenant))


def report_of(tenant, **fields):
    device = fields.pop("device", None) or device_of(tenant)
    return TelemetryReport.objects.create(
        tenant=tenant, device=device, metrics=fields.pop("metrics", {"cpu": 12.5}), **fields
    )


def alert_of(tenant, **fields):
    device = fields.pop("device", None) or device_of(tenant)
    fields = {"metric": "temperature", "severity": "warning", "value": 77, "threshold": 75} | fields
    return Alert.objects.create(tenant=tenant, device=device, **fields)


def rule_of(tenant, **fields):
    return AlertRule.objects.create(
        tenant=tenant, **({"metric": "temperature", "warning": 60, "critical": 70} | fields)
    )


def latest_of(tenant):
    device = device_of(tenant)
    return LatestMetrics.objects.create(
        tenant=tenant, device=device, received_at=timezone.now(), metrics={"cpu": 1}
    )


def rollup_of(tenant):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    return TelemetryRollup.objects.create(
        tenant=tenant,
        device=device_of(tenant),
        hour=hour,
        metric="cpu",
        count=1,
        total=1,
        minimum=1,
        maximum=1,
    )


def notice_of(tenant):
    license = LicenseFactory(tenant=tenant)
    return LicenseExpiryNotice.objects.create(
        license=license, expires_at=license.expires_at, days=30
    )


TENANT_FACTORIES = {
    TelemetryReport: report_of,
    Alert: alert_of,
    AlertRule: rule_of,
    LatestMetrics: latest_of,
    TelemetryRollup: rollup_of,
    LicenseExpiryNotice: notice_of,
}
