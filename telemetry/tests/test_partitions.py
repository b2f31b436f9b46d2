"""Telemetry reports partitioned by day on PostgreSQL (migration 0002, services.partitions);
the plain table on SQLite."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from telemetry.models import TelemetryReport
from telemetry.services.maintenance import telemetry_prune
from telemetry.services.partitions import (
    partition_create,
    partition_days,
    partition_name,
    partitioned,
    partitions_ensure,
)

from .factories import report_of

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"
)
TABLE = TelemetryReport._meta.db_table


def _home(report) -> str:
    """The partition a report's row is stored in."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [report.pk])  # noqa: S608
        return cursor.fetchone()[0].strip('"')


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's plain table")
def test_sqlite_keeps_the_plain_table():
    assert not partitioned()
    assert TABLE in connection.introspection.table_names()


@on_postgresql
def test_the_reports_table_is_partitioned_by_received_at_with_its_indexes():
    assert partitioned()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_partkeydef(%s::regclass)", [TABLE])
        assert cursor.fetchone()[0] == "RANGE (received_at)"
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [TABLE],
        )
        assert {row[0] for row in cursor.fetchall()} == {"id", "received_at"}
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
        names = {row[0] for row in cursor.fetchall()}
    assert {"telemetry_received_brin", "telemetry_device_time"} <= names
    today = timezone.now().astimezone(UTC).date()
    assert today in partition_days()


@on_postgresql
def test_a_report_sent_today_is_stored_in_todays_partition(api_client):
    partitions_ensure()
    device = DeviceFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    response = api_client.post("/api/v1/telemetry", {"metrics": {"cpu": 5}}, format="json")
    assert response.status_code == 201
    report = TelemetryReport.objects.get(device=device)
    assert _home(report) == partition_name(report.received_at.astimezone(UTC).date())
    assert TelemetryReport.objects.get(pk=report.pk) == report  # found by id alone


@on_postgresql
def test_retention_drops_whole_days_and_makes_the_next_ones(settings):
    settings.RELAIS_TELEMETRY_RETENTION_DAYS = 30
    settings.RELAIS_TELEMETRY_PARTITIONS_AHEAD = 3
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    partitions_ensure(now=now, since=(now - timedelta(days=40)).date())
    device = DeviceFactory()
    kept = [
        report_of(device.tenant, device=device, received_at=now - timedelta(days=days))
        for days in (29, 30)  # 30 days ago at noon: its day is not wholly past the cutoff
    ]
    for days in (40, 35, 31, 31):
        report_of(device.tenant, device=device, received_at=now - timedelta(days=days))

    result = telemetry_prune(now=now)

    cutoff_day = (now - timedelta(days=30)).date()
    assert result["partitions"] == 10  # 40 … 31 days ago
    assert result["reports"] == 0  # nothing waited in the default partition
    assert set(TelemetryReport.objects.filter(device=device)) == set(kept)
    days = partition_days()
    assert min(day for day in days if day >= cutoff_day - timedelta(days=10)) == cutoff_day
    assert all(day not in days for day in (cutoff_day - timedelta(days=n) for n in range(1, 11)))
    assert (now + timedelta(days=3)).date() in days


@on_postgresql
def test_a_report_no_partition_covers_waits_in_the_default_then_moves_in(settings):
    device = DeviceFactory()
    far = datetime(2031, 1, 15, 8, 0, tzinfo=UTC)
    report = report_of(device.tenant, device=device, received_at=far)
    assert _home(report) == f"{TABLE}_default"
    assert partition_create(far.date()) is True
    assert _home(report) == partition_name(far.date())
    assert partition_create(far.date()) is False  # already there
    assert TelemetryReport.objects.get(pk=report.pk).received_at == far


@on_postgresql
def test_old_rows_in_the_default_partition_are_deleted_by_batches(settings):
    settings.RELAIS_TELEMETRY_RETENTION_DAYS = 30
    settings.RELAIS_TELEMETRY_PRUNE_BATCH = 2
    device = DeviceFactory()
    now = timezone.now()
    old = now - timedelta(days=400)  # a day with no partition: the default's
    for _ in range(5):
        report_of(device.tenant, device=device, received_at=old)
    assert telemetry_prune(now=now)["reports"] == 5
    assert not TelemetryReport.objects.filter(received_at__lt=now - timedelta(days=30)).exists()
