"""The ingest service behind every route that receives reports (canonical telemetry,
CyberSensei telemetry, NEOPRO heartbeats over HTTP and, later, Socket.IO).

Budget: one INSERT for one report or a whole batch (a batch is one statement: all of it is
stored or none). No UPDATE per report: contact and latest metrics go through the cache
(devices.services.device_seen, buffer.latest_note), and so do values over an alert threshold
(alerts.alerts_check): beat opens the alerts. Nothing here talks to the broker."""

import json
import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.metrics import TELEMETRY_ROWS
from devices.models import Device
from devices.services.devices import device_seen

from ..buffer import latest_note
from ..models import TelemetryReport
from ..validation import Report, heartbeat_report
from .alerts import alerts_check

logger = logging.getLogger(__name__)

COLUMNS = ("tenant_id", "device_id", "kind", "received_at", "reported_at", "uptime", "version")

_PG_INSERT = """
    INSERT INTO {table} (tenant_id, device_id, received_at, kind, reported_at, uptime, version,
                         metrics)
    SELECT %s, %s, %s, x.k, x.r, x.u, x.v, x.m
    FROM jsonb_to_recordset(%s::jsonb) AS x(k varchar, r timestamptz, u bigint, v varchar, m jsonb)
"""


# Reports are loss-tolerant and many: their commit does not wait for the WAL to reach the disk
# (a database crash may lose the last fraction of a second of reports, never corrupt
# anything). SET LOCAL inside the same simple query: one round trip, and it ends with the
# INSERT's implicit transaction.
_ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF;"


def _async_commit_prefix() -> str:
    options = connection.settings_dict.get("OPTIONS", {})
    if not settings.RELAIS_TELEMETRY_ASYNC_COMMIT or options.get("server_side_binding"):
        return ""  # server-side binding takes one statement per query
    return _ASYNC_COMMIT


def _dumps(value) -> str:
    # Validated reports hold JSON types only: the C encoder, no DjangoJSONEncoder.
    return json.dumps(value, separators=(",", ":"))


def reports_insert(*, tenant_id, device_id, reports: list[Report], received_at: datetime) -> int:
    """Insert `reports` in one statement. On PostgreSQL the batch travels as one JSON
    document that `jsonb_to_recordset` turns into rows (one parameter to adapt whatever the
    batch: three times faster than an array per column at 500 rows); elsewhere one prepared
    INSERT is run over every row."""
    table = TelemetryReport._meta.db_table
    if connection.vendor == "postgresql":
        doc = _dumps(
            [
                {
                    "k": r.kind,
                    "r": r.reported_at.isoformat() if r.reported_at else None,
                    "u": r.uptime,
                    "v": r.version,
                    "m": r.metrics,
                }
                for r in reports
            ]
        )
        with connection.cursor() as cursor:
            sql = _async_commit_prefix() + _PG_INSERT.format(table=table)
            cursor.execute(sql, [tenant_id, device_id, received_at, doc])
        TELEMETRY_ROWS.inc(len(reports))
        return len(reports)
    by_column = {f.column: f for f in TelemetryReport._meta.concrete_fields}
    fields = [by_column[c] for c in COLUMNS]
    rows = []
    for r in reports:
        values = (tenant_id, device_id, r.kind, received_at, r.reported_at, r.uptime, r.version)
        row = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
        rows.append([*row, _dumps(r.metrics)])
    columns = ", ".join((*COLUMNS, "metrics"))
    marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
    TELEMETRY_ROWS.inc(len(rows))
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


def heartbeat_ingest(*, device: Device, payload, now: datetime | None = None) -> str:
    """The NEOPRO agent's heartbeat `{siteId, timestamp, metrics}` from `device`, over HTTP
    or Socket.IO: checked, stored as one report. Returns the site id."""
    now = now or timezone.now()
    site_id, report = heartbeat_checked(device=device, payload=payload, now=now)
    reports_record(tenant_id=device.tenant_id, device=device, reports=[report], received_at=now)
    return site_id


def heartbeat_checked(*, device: Device, payload, now: datetime) -> tuple[str, Report]:
    """(site id, report) of a heartbeat, nothing written. A `siteId` that is not the
    device's own is refused the same way whether it is unknown or another's."""
    site_id, report = heartbeat_report(payload, now=now)
    try:
        same = uuid.UUID(str(site_id)) == device.pk
    except ValueError:
        same = False
    if not same:
        raise ApiError("SITE_MISMATCH", _("siteId is not the authenticated site."), 403)
    return site_id, report
