"""Reads of telemetry for the admin and a later dashboard."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from core.tenancy import scope_for_user
from devices.models import Device

from .models import Alert, LatestMetrics, TelemetryRollup


def latest_metrics(*, device_id) -> LatestMetrics | None:
    return LatestMetrics.objects.filter(device_id=device_id).first()


def device_chart(*, device_id, hours: int = 24, now=None) -> dict:
    """Hourly averages of each metric over the last `hours`, from the rollups:
    `{"labels": [ISO hours], "series": {metric: [average or None per hour]}}`."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0)
    hours_list = [end - timedelta(hours=h) for h in range(hours - 1, -1, -1)]
    rows = TelemetryRollup.objects.filter(device_id=device_id, hour__gte=hours_list[0]).values_list(
        "hour", "metric", "total", "count"
    )
    index = {hour: i for i, hour in enumerate(hours_list)}
    series: dict[str, list] = {}
    for hour, metric, total, count in rows:
        if hour in index and count:
            values = series.setdefault(metric, [None] * len(hours_list))
            values[index[hour]] = round(total / count, 2)
    return {"labels": [h.isoformat() for h in hours_list], "series": dict(sorted(series.items()))}


def fleet_health(*, user, now=None) -> dict:
    """What a dashboard shows of the fleet the user may see: active devices online (seen
    within RELAIS_OFFLINE_AFTER_SECONDS), offline, never seen; open alerts by severity."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RELAIS_OFFLINE_AFTER_SECONDS)
    devices = scope_for_user(Device.objects.filter(status=Device.Status.ACTIVE), user)
    counts = devices.aggregate(
        online=Count("pk", filter=Q(last_seen_at__gte=cutoff)),
        offline=Count("pk", filter=Q(last_seen_at__lt=cutoff)),
        never=Count("pk", filter=Q(last_seen_at__isnull=True)),
    )
    alerts = scope_for_user(Alert.objects.filter(status=Alert.Status.OPEN), user)
    by_severity = dict(alerts.values_list("severity").annotate(n=Count("pk")).order_by())
    return {
        **counts,
        "alerts": {
            "critical": by_severity.get("critical", 0),
            "warning": by_severity.get("warning", 0),
        },
        "offlineAfterSeconds": settings.RELAIS_OFFLINE_AFTER_SECONDS,
    }
