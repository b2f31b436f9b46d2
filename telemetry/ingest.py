"""The ingest service behind every route that receives reports (canonical telemetry,
CyberSensei telemetry, NEOPRO heartbeats over HTTP and, later, Socket.IO).

Budget: one INSERT for one report or a whole batch (a batch is one statement: all of it is
stored or none). No UPDATE per report: contact and latest metrics go through the cache
(devices.services.device_seen, buffer.latest_note); alerts read the database only when a
value is over a threshold (alerts.alerts_check). Nothing here talks to the broker."""

import json
import logging
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from devices.models import Device
from devices.services import device_seen

from .alerts import alerts_check
from .buffer import latest_note
from .models import TelemetryReport
from .validation import Report

logger = logging.getLogger(__name__)

COLUMNS = ("tenant_id", "device_id", "kind", "received_at", "reported_at", "uptime", "version")
PG_TYPES = ("uuid", "uuid", "varchar", "timestamptz", "timestamptz", "bigint", "varchar")


def _dumps(metrics: dict) -> str:
    return json.dumps(metrics, cls=DjangoJSONEncoder, separators=(",", ":"))


def reports_insert(*, tenant_id, device_id, reports: list[Report], received_at: datetime) -> int:
    """Insert `reports` in one statement: on PostgreSQL an INSERT … SELECT FROM unnest(…) of
    one array per column (as fast as COPY for a few hundred rows, and one round trip),
    elsewhere one prepared INSERT run over every row."""
    table = TelemetryReport._meta.db_table
    columns = ", ".join((*COLUMNS, "metrics"))
    if connection.vendor == "postgresql":
        n = len(reports)
        arrays = [
            [tenant_id] * n,
            [device_id] * n,
            [r.kind for r in reports],
            [received_at] * n,
            [r.reported_at for r in reports],
            [r.uptime for r in reports],
            [r.version for r in reports],
            [_dumps(r.metrics) for r in reports],
        ]
        casts = ", ".join(f"%s::{t}[]" for t in (*PG_TYPES, "text"))
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names are ours
            f"SELECT t, d, k, ra, rp, u, v, m::jsonb FROM unnest({casts}) AS x(t, d, k, ra, rp, u, v, m)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, arrays)
        return n
    fields = [TelemetryReport._meta.get_field(c.removesuffix("_id")) for c in COLUMNS]
    rows = []
    for r in reports:
        values = (tenant_id, device_id, r.kind, received_at, r.reported_at, r.uptime, r.version)
        row = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
        rows.append([*row, _dumps(r.metrics)])
    marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)


def reports_record(
    *, tenant_id, reports: list[Report], received_at: datetime, device: Device | None = None
) -> int:
    """Store a node's reports and note what follows from them: the device's contact, its
    latest metrics, alerts over thresholds."""
    device_id = device.pk if device is not None else None
    count = reports_insert(
        tenant_id=tenant_id, device_id=device_id, reports=reports, received_at=received_at
    )
    if device is None:
        return count
    try:
        device_seen(device=device)
    except Exception:  # noqa: BLE001 - contact is the cache's; the report is stored
        logger.warning("contact of device %s not noted", device.pk, exc_info=True)
    newest = max(reports, key=lambda r: r.reported_at or received_at)
    latest_note(
        device.pk,
        {
            "tenant": tenant_id,
            "receivedAt": received_at,
            "reportedAt": newest.reported_at,
            "uptime": newest.uptime,
            "version": newest.version,
            "metrics": newest.metrics,
        },
    )
    alerts_check(device=device, reports=reports, now=received_at)
    return count
