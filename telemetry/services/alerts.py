"""Alerts open when a report brings a value over a threshold (compared on ingest, written by
the next flush), escalate, and resolve once the value is back under the threshold by the
rule's margin; the offline sweep opens and resolves
`offline` alerts. One open alert per device and metric (a partial unique index): a second
opening, even from a concurrent request, is a no-op. Every change publishes its event."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.services import events
from devices.models import Device
from licensing.models import Tenant

from ..buffer import peaks
from ..models import Alert, LatestMetrics, Severity
from ..rules import Rule, metric_value, rules_for

RANK: dict[str | None, int] = {None: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
OFFLINE_BATCH = 5000  # devices turned offline per sweep; the rest the next minute


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def alert_payload(alert: Alert, **extra) -> dict:
    return {
        "alertId": alert.pk,
        "deviceId": alert.device_id,
        "metric": alert.metric,
        "severity": alert.severity,
        "value": alert.value,
        "threshold": alert.threshold,
        "openedAt": alert.opened_at,
        **extra,
    }


def alert_event(event_type: str, alert: Alert, *, actor=None, **extra) -> None:
    events.publish(
        event_type,
        tenant=Tenant(pk=alert.tenant_id),
        payload=alert_payload(alert, **extra),
        actor=actor,
    )


def alert_open(
    *, device: Device, metric: str, severity: str, value, threshold, now
) -> Alert | None:
    """Open an alert unless one is open for this device and metric (then None)."""
    alert = Alert(
        tenant_id=device.tenant_id,
        device=device,
        metric=metric,
        severity=severity,
        value=value,
        threshold=threshold,
        opened_at=now,
    )
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
            alert_event("alert.opened", alert, hardwareId=device.hardware_id)
    except IntegrityError:
        return None  # opened meanwhile by another report or sweep
    return alert


def alert_close(*, alert: Alert, reason: str, now, value=None, actor=None) -> bool:
    """Resolve an open alert (a conditional UPDATE: resolving twice records one event)."""
    with transaction.atomic():
        fields = {"status": Alert.Status.RESOLVED, "resolved_at": now, "resolution": reason}
        if value is not None:
            fields["value"] = value
        if not Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(**fields):
            return False
        for name, field_value in fields.items():
            setattr(alert, name, field_value)
        alert_event("alert.resolved", alert, actor=actor, resolvedAt=now, resolution=reason)
    return True


def _peaks(rules: dict[str, Rule], reports) -> dict[str, tuple[str, float, float]]:
    """metric → (severity, value, threshold) of the worst value over a threshold."""
    peaks: dict[str, tuple[str, float, float]] = {}
    for report in reports:
        for metric, rule in rules.items():
            value = metric_value(report.metrics, metric)
            if not _is_number(value):
                continue
            severity = rule.severity(value)
            if severity and RANK[severity] >= RANK[peaks.get(metric, (None,))[0]]:
                threshold = rule.critical if severity == Severity.CRITICAL else rule.warning
                assert threshold is not None  # the severity came from this threshold
                peaks[metric] = (severity, value, threshold)
    return peaks


def alerts_check(*, device: Device, reports, now) -> None:
    """On ingest: compare every report with the device's rules (in memory) and note the
    values over a threshold in the cache, for the flush to open or escalate alerts. Under
    every threshold (the usual case) this costs nothing; over one, one cache write; never a
    query, nor an event whose webhook would be queued from the node's request."""
    found = _peaks(rules_for(tenant_id=device.tenant_id, product_id=device.product_id), reports)
    if found:
        peaks.note(
            {
                f"{device.pk}:{metric}:{severity}": [value, threshold, now]
                for metric, (severity, value, threshold) in found.items()
            }
        )


def alerts_raise_noted(*, now=None) -> int:
    """Beat (with the latest metrics' flush): open or escalate alerts for the values noted
    over a threshold since the last run. One query for the devices, one per device for its
    open alerts, writes only where something changes."""
    now = now or timezone.now()
    noted = peaks.take()
    by_device: dict[str, dict] = {}
    for key, (value, threshold, _seen) in noted.items():
        device_id, rest = key.split(":", 1)  # a metric's name may hold ":" too
        metric, severity = rest.rsplit(":", 1)
        worst = by_device.setdefault(device_id, {}).get(metric)
        if worst is None or RANK[severity] > RANK[worst[0]]:
            by_device[device_id][metric] = (severity, value, threshold)
    devices = Device.objects.filter(pk__in=list(by_device), status=Device.Status.ACTIVE)
    changed = sum(alerts_apply(device=d, peaks=by_device[str(d.pk)], now=now) for d in devices)
    peaks.done()
    return changed


def alerts_apply(*, device: Device, peaks: dict, now) -> int:
    """Open or escalate the device's alerts for `peaks` (metric → (severity, value,
    threshold)); an alert keeps its highest severity."""
    opened = {
        a.metric: a
        for a in Alert.objects.filter(device=device, status=Alert.Status.OPEN, metric__in=peaks)
    }
    changed = 0
    for metric, (severity, value, threshold) in peaks.items():
        alert = opened.get(metric)
        if alert is None:
            changed += (
                alert_open(
                    device=device,
                    metric=metric,
                    severity=severity,
                    value=value,
                    threshold=threshold,
                    now=now,
                )
                is not None
            )
        elif RANK[severity] > RANK[alert.severity]:
            with transaction.atomic():
                escalated = Alert.objects.filter(
                    pk=alert.pk, status=Alert.Status.OPEN, severity=alert.severity
                ).update(severity=severity, value=value, threshold=threshold, escalated_at=now)
                if escalated:
                    alert.severity, alert.value, alert.threshold = severity, value, threshold
                    alert_event("alert.escalated", alert, escalatedAt=now)
                    changed += 1
    return changed


def alerts_resolve_recovered(*, device_ids=None, now=None) -> int:
    """Resolve open metric alerts whose device's latest value is back under the threshold by
    the margin, or whose rule is gone. Two queries whatever the number of alerts, then one
    write per alert resolved."""
    now = now or timezone.now()
    alerts = Alert.objects.filter(status=Alert.Status.OPEN).exclude(metric=Alert.OFFLINE)
    if device_ids is not None:
        alerts = alerts.filter(device_id__in=list(device_ids))
    open_alerts = list(alerts.select_related("device"))
    if not open_alerts:
        return 0
    latest = {
        row.device_id: row.metrics
        for row in LatestMetrics.objects.filter(device_id__in={a.device_id for a in open_alerts})
    }
    resolved = 0
    for alert in open_alerts:
        device = alert.device
        rule = rules_for(tenant_id=device.tenant_id, product_id=device.product_id).get(alert.metric)
        value = metric_value(latest.get(alert.device_id, {}), alert.metric)
        if rule is None or rule.opens_at is None:
            resolved += alert_close(alert=alert, reason="rule_removed", now=now)
        elif _is_number(value) and rule.recovered(value):
            resolved += alert_close(alert=alert, reason="recovered", now=now, value=value)
    return resolved


def devices_offline_sweep(*, now=None) -> dict:
    """Beat, every minute: an `offline` alert (and `device.offline`) for active devices
    silent longer than RELAIS_OFFLINE_AFTER_SECONDS; resolved (and `device.online`) when
    they are seen again, or when they are deactivated."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RELAIS_OFFLINE_AFTER_SECONDS)
    open_offline = Alert.objects.filter(status=Alert.Status.OPEN, metric=Alert.OFFLINE)
    back = 0
    for alert in open_offline.filter(device__last_seen_at__gte=cutoff).select_related("device"):
        with transaction.atomic():
            if alert_close(alert=alert, reason="online", now=now):
                back += 1
                device = alert.device
                events.publish(
                    "device.online",
                    tenant=Tenant(pk=device.tenant_id),
                    payload={
                        "deviceId": device.pk,
                        "hardwareId": device.hardware_id,
                        "lastSeenAt": device.last_seen_at,
                        "offlineSince": alert.opened_at,
                    },
                )
    gone = open_offline.exclude(device__status=Device.Status.ACTIVE)
    for alert in gone.select_related("device"):
        alert_close(alert=alert, reason="deactivated", now=now)
    already = Alert.objects.filter(
        device=OuterRef("pk"), status=Alert.Status.OPEN, metric=Alert.OFFLINE
    )
    silent = (
        Device.objects.filter(status=Device.Status.ACTIVE, last_seen_at__lt=cutoff)
        .exclude(Exists(already))
        .order_by("last_seen_at")[:OFFLINE_BATCH]
    )
    offline = 0
    for device in silent:
        with transaction.atomic():
            opened = alert_open(
                device=device,
                metric=Alert.OFFLINE,
                severity=Severity.CRITICAL,
                value=(now - device.last_seen_at).total_seconds(),
                threshold=settings.RELAIS_OFFLINE_AFTER_SECONDS,
                now=now,
            )
            if opened is None:
                continue
            offline += 1
            events.publish(
                "device.offline",
                tenant=Tenant(pk=device.tenant_id),
                payload={
                    "deviceId": device.pk,
                    "hardwareId": device.hardware_id,
                    "lastSeenAt": device.last_seen_at,
                    "silentSeconds": int((now - device.last_seen_at).total_seconds()),
                },
            )
    recovered = alerts_resolve_recovered(now=now)
    return {"offline": offline, "online": back, "recovered": recovered}
