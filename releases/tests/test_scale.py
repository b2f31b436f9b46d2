"""Costs that must not grow with the fleet: the first status report sent with a license key
alone, and the silent-seat sweep, with 10 and 10,000 devices on one license."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Event
from devices.models import Device
from devices.services.devices import device_seats_free_silent
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
FLEETS = [10, 10_000]


def _fleet(license, size, **fields):
    common = {"tenant_id": license.tenant_id, "product_id": license.product_id, **fields}
    Device.objects.bulk_create(
        (
            Device(license=license, hardware_id=f"bulk-{i:06d}", app_version="1.0.0", **common)
            for i in range(size)
        ),
        batch_size=2000,
    )


def _statements(captured) -> list[str]:
    """The SQL of the captured queries, savepoints left out."""
    sql = (q["sql"] for q in captured.captured_queries)
    return [q for q in sql if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


@pytest.fixture
def license():
    return LicenseFactory(
        policy__product=ProductFactory(),
        policy__max_devices=None,
        policy__heartbeat_window=timedelta(days=7),
    )


@pytest.mark.parametrize("size", FLEETS)
def test_first_report_with_the_license_key_alone_costs_the_same_whatever_the_fleet(
    api_client, license, size
):
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        published_release(product=license.product, version=version)
    _fleet(license, size, last_seen_at=timezone.now())
    device = DeviceFactory(license=license, app_version="1.0.0")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {license.key}")
    query = {"hardwareId": device.hardware_id, "version": "1.0.0"}
    session = api_client.get("/api/v1/updates/check", query).json()["sessionId"]
    body = {"sessionId": session, "status": "DOWNLOADING", "downloadPercent": 0}
    with CaptureQueriesContext(connection) as captured:
        response = api_client.post("/api/v1/updates/status", body, format="json")
    assert response.status_code == 200 and response.json()["toVersion"] == "1.3.0"
    sql = _statements(captured)
    # Reads: authentication, the session row, the device the id names (by primary key,
    # among one candidate per release); writes: lock, create, lock, last_seen_at, save,
    # event and its webhook endpoints. Eleven, with 10 devices as with 10,000.
    assert len(sql) == 11, sql
    lookups = [q for q in sql if q.startswith("SELECT") and '"devices_device"' in q]
    assert len(lookups) == 2, lookups  # authentication, then the one candidate lookup
    assert '"devices_device"."id" IN (' in lookups[1] and "LIMIT 1" in lookups[1]


@pytest.mark.parametrize("size", FLEETS)
def test_the_sweep_is_one_select_and_one_update_whatever_the_fleet(license, size):
    _fleet(license, size, last_seen_at=timezone.now() - timedelta(days=1))
    silent = DeviceFactory.create_batch(
        3, license=license, last_seen_at=timezone.now() - timedelta(days=8)
    )
    with CaptureQueriesContext(connection) as captured:
        assert device_seats_free_silent() == 3
    sql = _statements(captured)
    # One SELECT (the window computed in SQL), one UPDATE, then per freed device its event
    # (and the webhook endpoints that want it): nothing that grows with the fleet.
    assert [q.split()[0] for q in sql[:2]] == ["SELECT", "UPDATE"]
    assert '"devices_device"' in sql[0] and '"devices_device"' in sql[1]
    assert len(sql) == 2 + 3 * 2, sql
    assert sum(q.startswith('INSERT INTO "core_event"') for q in sql) == 3
    where = sql[0].split(" WHERE ", 1)[1]
    assert '"licensing_policy"."heartbeat_window"' in where, sql[0]  # the window, in SQL
    freed = Device.objects.filter(status=Device.Status.DEACTIVATED)
    assert set(freed.values_list("pk", flat=True)) == {d.pk for d in silent}
    assert Event.objects.filter(type="device.deactivated").count() == 3
    with CaptureQueriesContext(connection) as captured:
        assert device_seats_free_silent(license=license) == 0
    assert len(_statements(captured)) == 1
