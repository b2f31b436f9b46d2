"""Beat's work: latest metrics flushed from the cache in bulk, hourly rollups, retention;
and what a node sees when the cache is down."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from devices.models import Device
from devices.tests.factories import DeviceFactory
from telemetry.models import LatestMetrics, RollupCursor, TelemetryReport, TelemetryRollup
from telemetry.selectors import device_chart, fleet_health
from telemetry.services.maintenance import latest_metrics_flush, telemetry_prune, telemetry_rollup
from telemetry.tests.factories import report_of

pytestmark = pytest.mark.django_db


def _post(client, device, body, url="/api/v1/telemetry"):
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {device.token}",
    )


def test_latest_metrics_are_written_in_bulk_by_the_flush(api_client, django_assert_max_num_queries):
    devices = [DeviceFactory() for _ in range(5)]
    for i, device in enumerate(devices):
        for value in (1, 2, 3 + i):
            assert _post(api_client, device, {"metrics": {"cpu": value}}).status_code == 201
    assert not LatestMetrics.objects.exists()  # nothing written per report
    with django_assert_max_num_queries(4):  # alive devices, upsert, open alerts (none)
        assert latest_metrics_flush() == 5
    for i, device in enumerate(devices):
        assert LatestMetrics.objects.get(device=device).metrics == {"cpu": 3 + i}
    assert latest_metrics_flush() == 0  # taken once
    _post(api_client, devices[0], {"metrics": {"cpu": 50}})
    assert latest_metrics_flush() == 1
    assert LatestMetrics.objects.get(device=devices[0]).metrics == {"cpu": 50}


def test_the_newest_report_of_a_batch_is_the_latest(api_client):
    device = DeviceFactory()
    now = timezone.now()
    reports = [
        {"metrics": {"cpu": 9}, "reportedAt": (now - timedelta(minutes=1)).isoformat()},
        {"metrics": {"cpu": 1}, "reportedAt": (now - timedelta(minutes=5)).isoformat()},
    ]
    _post(api_client, device, {"reports": reports})
    latest_metrics_flush()
    assert LatestMetrics.objects.get().metrics == {"cpu": 9}


def test_a_cache_outage_never_fails_a_report(api_client, settings):
    settings.RELAIS_THROTTLE_RATES = {}  # throttling's own outage handling is not tested here
    device = DeviceFactory()
    broken = mock.Mock(side_effect=ConnectionError("cache down"))
    with (
        mock.patch("django.core.cache.cache.set", broken),
        mock.patch("django.core.cache.cache.add", broken),
        mock.patch("django.core.cache.cache.incr", broken),
        mock.patch("telemetry.buffer.redis_client", broken),
    ):
        response = _post(api_client, device, {"metrics": {"cpu": 1}})
        heartbeat = {
            "siteId": str(device.pk),
            "timestamp": int(timezone.now().timestamp() * 1000),
            "metrics": {"cpu": 1},
        }
        beat = _post(api_client, device, heartbeat, url="/api/v1/devices/heartbeat")
    assert response.status_code == 201 and beat.status_code == 200
    assert TelemetryReport.objects.count() == 2  # the reports themselves are kept


def test_rollups_are_hourly_additive_and_count_each_report_once():
    device = DeviceFactory()
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    hour = now.replace(minute=0)
    for value in (10, 20, 60):
        report_of(
            device.tenant, device=device, metrics={"cpu": value, "name": "x"}, received_at=now
        )
    late = now - timedelta(hours=3)  # sent late for an earlier hour
    report_of(device.tenant, device=device, metrics={"cpu": 5}, received_at=now, reported_at=late)
    RollupCursor.objects.create(name="reports", position=now - timedelta(minutes=1))
    telemetry_rollup(now=now + timedelta(minutes=5))
    telemetry_rollup(now=now + timedelta(minutes=5))  # nothing new: nothing counted twice
    row = TelemetryRollup.objects.get(device=device, hour=hour, metric="cpu")
    assert (row.count, row.total, row.minimum, row.maximum) == (3, 90, 10, 60)
    assert row.average == 30
    assert TelemetryRollup.objects.get(hour=late.replace(minute=0)).total == 5
    assert not TelemetryRollup.objects.filter(metric="name").exists()  # numbers only
    report_of(
        device.tenant, device=device, metrics={"cpu": 70}, received_at=now + timedelta(minutes=6)
    )
    telemetry_rollup(now=now + timedelta(minutes=10))
    row.refresh_from_db()
    assert (row.count, row.maximum) == (4, 70)
    chart = device_chart(device_id=device.pk, now=now + timedelta(minutes=10))
    assert len(chart["labels"]) == 24 and chart["series"]["cpu"][-1] == 40


def test_retention_deletes_old_reports_in_bounded_batches(settings):
    settings.RELAIS_TELEMETRY_RETENTION_DAYS = 30
    settings.RELAIS_TELEMETRY_PRUNE_BATCH = 7
    device = DeviceFactory()
    now = timezone.now()
    for days in [31] * 20 + [29] * 3:
        report_of(device.tenant, device=device, received_at=now - timedelta(days=days))
    result = telemetry_prune(now=now)
    assert result["reports"] == 20
    assert TelemetryReport.objects.count() == 3
    assert all(r.received_at > now - timedelta(days=30) for r in TelemetryReport.objects.all())


def test_fleet_health_counts_what_the_user_may_see(platform_admin):
    now = timezone.now()
    DeviceFactory(last_seen_at=now)
    DeviceFactory(last_seen_at=now - timedelta(hours=1))
    DeviceFactory(last_seen_at=None)
    DeviceFactory(status=Device.Status.DEACTIVATED)
    health = fleet_health(user=platform_admin, now=now)
    assert (health["online"], health["offline"], health["never"]) == (1, 1, 1)
    assert health["alerts"] == {"critical": 0, "warning": 0}


def test_on_redis_a_report_costs_one_hset(settings):
    from django.core.cache import caches

    from telemetry import buffer

    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    assert buffer.redis_client() is not None
    device = DeviceFactory()
    client = caches["default"]._cache.get_client(write=True)
    buffer.latest_note(device.pk, {"metrics": {"cpu": 1}})
    assert client.hexists(caches["default"].make_key(buffer.latest.hash), str(device.pk))


@pytest.mark.django_db(transaction=True)
def test_asynchronous_commit_is_for_the_insert_alone(api_client):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's synchronous_commit")
    device = DeviceFactory()
    assert _post(api_client, device, {"metrics": {"cpu": 1}}).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert TelemetryReport.objects.count() == 1
