"""Beat's work on telemetry: the latest metrics' flush, hourly rollups, retention."""

import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from devices.models import Device

from ..buffer import latest
from ..models import LatestMetrics, RollupCursor, TelemetryReport, TelemetryRollup
from .alerts import alerts_raise_noted, alerts_resolve_recovered
from .partitions import partitioned, partitions_drop_before, partitions_ensure

ROLLUP_LAG = timedelta(seconds=60)  # reports committing this late after their time: missed
ROLLUP_SPAN = timedelta(hours=6)  # at most this much time per run
PRUNE_SECONDS = 120  # time budget of one retention run


def _noted_time(value: str) -> datetime:
    parsed = parse_datetime(value)
    assert parsed is not None  # noted by the ingest from a datetime (DjangoJSONEncoder)
    return parsed


def latest_metrics_flush(*, now=None) -> int:
    """Open or escalate the alerts noted on ingest; upsert the latest metrics noted in the
    cache (see buffer.py): one statement per 1,000 devices, whatever their reports; then
    resolve the alerts they recovered from."""
    alerts_raise_noted(now=now)
    taken = latest.take()
    if not taken:
        latest.done()
        return 0
    written = 0
    ids = list(taken)
    for start in range(0, len(ids), 1000):
        chunk = [uuid.UUID(i) for i in ids[start : start + 1000]]
        alive = set(Device.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        rows = [
            LatestMetrics(
                device_id=pk,
                tenant_id=taken[str(pk)]["tenant"],
                received_at=_noted_time(taken[str(pk)]["receivedAt"]),
                reported_at=parse_datetime(taken[str(pk)]["reportedAt"] or ""),
                uptime=taken[str(pk)]["uptime"],
                version=taken[str(pk)]["version"] or "",
                metrics=taken[str(pk)]["metrics"],
            )
            for pk in chunk
            if pk in alive
        ]
        LatestMetrics.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["device"],
            update_fields=["received_at", "reported_at", "uptime", "version", "metrics"],
        )
        written += len(rows)
    latest.done()
    alerts_resolve_recovered(device_ids=ids, now=now)
    return written


_ROLLUP_SQL = {
    "postgresql": """
        INSERT INTO {rollup} AS t
            (tenant_id, device_id, hour, metric, count, total, minimum, maximum)
        SELECT r.tenant_id, r.device_id,
               date_trunc('hour', COALESCE(r.reported_at, r.received_at)), m.key,
               count(*), sum(m.value::float8), min(m.value::float8), max(m.value::float8)
        FROM {report} r CROSS JOIN LATERAL jsonb_each(r.metrics) AS m(key, value)
        WHERE r.received_at >= %s AND r.received_at < %s AND r.device_id IS NOT NULL
          AND jsonb_typeof(m.value) = 'number'
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (device_id, hour, metric) DO UPDATE SET
            count = t.count + EXCLUDED.count, total = t.total + EXCLUDED.total,
            minimum = LEAST(t.minimum, EXCLUDED.minimum),
            maximum = GREATEST(t.maximum, EXCLUDED.maximum)
    """,
    "sqlite": """
        INSERT INTO {rollup}
            (tenant_id, device_id, hour, metric, count, total, minimum, maximum)
        SELECT r.tenant_id, r.device_id,
               strftime('%%Y-%%m-%%d %%H:00:00', COALESCE(r.reported_at, r.received_at)), m.key,
               count(*), sum(m.value), min(m.value), max(m.value)
        FROM {report} r, json_each(r.metrics) AS m
        WHERE r.received_at >= %s AND r.received_at < %s AND r.device_id IS NOT NULL
          AND m.type IN ('integer', 'real')
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (device_id, hour, metric) DO UPDATE SET
            count = count + excluded.count, total = total + excluded.total,
            minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)
    """,
}


def telemetry_rollup(*, now=None) -> int:
    """Add the reports received since the last run to their devices' hourly rollups: one
    INSERT … SELECT … ON CONFLICT DO UPDATE over the window, additive, so a report sent late
    for an earlier hour still counts, and each report is counted once (the window's end is
    stored in the same transaction; a concurrent run waits on its row)."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = RollupCursor.objects.select_for_update().filter(name="reports").first()
        if cursor is None:
            first = TelemetryReport.objects.order_by("id").values_list("received_at").first()
            start = first[0] if first else now - ROLLUP_LAG
            cursor, _ = RollupCursor.objects.get_or_create(
                name="reports", defaults={"position": start}
            )
            cursor = RollupCursor.objects.select_for_update().get(name="reports")
        end = min(now - ROLLUP_LAG, cursor.position + ROLLUP_SPAN)
        if end <= cursor.position:
            return 0
        sql = _ROLLUP_SQL[connection.vendor].format(
            rollup=TelemetryRollup._meta.db_table, report=TelemetryReport._meta.db_table
        )
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as db:
            db.execute(sql, [adapt(cursor.position), adapt(end)])
            count = db.rowcount
        cursor.position = end
        cursor.save(update_fields=["position"])
    return count


def _prune(queryset, budget_end: float) -> int:
    deleted = 0
    batch = settings.RELAIS_TELEMETRY_PRUNE_BATCH
    while time.monotonic() < budget_end:
        ids = queryset.values("pk")[:batch]
        count = queryset.model.objects.filter(pk__in=ids).delete()[0]
        deleted += count
        if count < batch:
            break
    return deleted


def telemetry_prune(*, now=None) -> dict:
    """Delete reports older than RELAIS_TELEMETRY_RETENTION_DAYS and rollups older than
    RELAIS_TELEMETRY_ROLLUP_RETENTION_DAYS, RELAIS_TELEMETRY_PRUNE_BATCH rows per statement
    (each its own transaction: no long lock), for at most two minutes per run. On
    PostgreSQL's partitioned reports, expired days are dropped whole (services.partitions)."""
    now = now or timezone.now()
    budget_end = time.monotonic() + PRUNE_SECONDS
    reports_before = now - timedelta(days=settings.RELAIS_TELEMETRY_RETENTION_DAYS)
    rollups_before = now - timedelta(days=settings.RELAIS_TELEMETRY_ROLLUP_RETENTION_DAYS)
    result = {}
    if partitioned():  # PostgreSQL: whole days dropped, the next days' partitions made
        dropped = partitions_drop_before(reports_before)
        partitions_ensure(now=now)
        result = {"reports": dropped["rows"], "partitions": dropped["partitions"]}
    else:
        reports = TelemetryReport.objects.filter(received_at__lt=reports_before)
        result = {"reports": _prune(reports, budget_end)}
    rollups = TelemetryRollup.objects.filter(hour__lt=rollups_before)
    return {**result, "rollups": _prune(rollups, budget_end)}
