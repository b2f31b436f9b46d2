"""CyberSensei nodes that name themselves (`nodeId`): each reports as a device of its
tenant (last seen, latest metrics, version in the fleet, offline alerts); one that does
not keeps feeding the tenant's series. Alert rules on any numeric field, nested ones too,
with the same hysteresis."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Event
from devices.models import Device
from devices.services.devices import device_contacts_flush, device_deactivate
from licensing.tests.factories import LicenseFactory
from releases.tests.factories import forget_caches
from telemetry.models import Alert, LatestMetrics, TelemetryReport
from telemetry.rules import rules_for
from telemetry.services import staff
from telemetry.services.alerts import devices_offline_sweep
from telemetry.services.maintenance import latest_metrics_flush

pytestmark = pytest.mark.django_db
CYBERSENSEI = "/telemetry"


def _body(license, **fields):
    return {
        "tenantId": str(license.tenant_id),
        "uptime": 86400,
        "activeUsers": 42,
        "exercisesCompletedToday": 156,
        "aiLatency": 247.5,
        "version": "1.2.0",
        "additionalData": {"cpuUsage": 45.2, "memoryUsage": 62.8, "diskUsage": 38.1},
    } | fields


def _post(client, body):
    return client.post(CYBERSENSEI, json.dumps(body), content_type="application/json")


def test_a_node_that_names_itself_becomes_a_device_of_its_tenant(client):
    license = LicenseFactory()
    response = _post(client, _body(license, nodeId="paris-node-1"))
    assert response.status_code == 201
    assert response.json()["message"] == "Télémétrie enregistrée avec succès"
    device = Device.objects.get()
    assert (device.tenant_id, device.license_id, device.hardware_id) == (
        license.tenant_id,
        license.pk,
        "paris-node-1",
    )
    assert device.app_version == "1.2.0" and device.last_seen_at is not None
    assert TelemetryReport.objects.get().device_id == device.pk
    assert Event.objects.get(type="device.registered").payload["hardwareId"] == "paris-node-1"
    latest_metrics_flush()
    assert LatestMetrics.objects.get(device=device).metrics["activeUsers"] == 42


def test_the_seed_clients_body_still_feeds_the_tenant_series(client):
    license = LicenseFactory()
    assert _post(client, _body(license)).status_code == 201
    assert TelemetryReport.objects.get().device_id is None
    assert not Device.objects.exists()


def test_the_id_may_travel_in_additional_data(client):
    license = LicenseFactory()
    extra = {"cpuUsage": 10.0, "nodeId": "lyon-2"}
    assert _post(client, _body(license, additionalData=extra)).status_code == 201
    assert Device.objects.get().hardware_id == "lyon-2"


def test_a_new_version_reaches_the_fleet_view_once(client):
    license = LicenseFactory()
    _post(client, _body(license, nodeId="n1", version="1.2.0"))
    _post(client, _body(license, nodeId="n1", version="1.3.0"))
    _post(client, _body(license, nodeId="n1", version="1.3.0"))
    assert Device.objects.get().app_version == "1.3.0"
    [updated] = Event.objects.filter(type="device.updated")
    assert updated.payload["changed"] == ["app_version"]
    assert TelemetryReport.objects.filter(device__isnull=False).count() == 3


def test_two_nodes_of_one_tenant_are_two_devices_and_tenants_stay_apart(client):
    ours, theirs = LicenseFactory(), LicenseFactory()
    for license in (ours, theirs):
        _post(client, _body(license, nodeId="node-a"))
    _post(client, _body(ours, nodeId="node-b"))
    assert Device.objects.filter(tenant=ours.tenant).count() == 2
    assert Device.objects.filter(tenant=theirs.tenant).count() == 1
    theirs_device = Device.objects.get(tenant=theirs.tenant)
    assert TelemetryReport.objects.filter(device=theirs_device).count() == 1


def test_no_free_seat_keeps_the_report_in_the_tenant_series(client):
    license = LicenseFactory(max_devices=1)
    _post(client, _body(license, nodeId="first"))
    response = _post(client, _body(license, nodeId="second"))
    assert response.status_code == 201
    assert list(Device.objects.values_list("hardware_id", flat=True)) == ["first"]
    assert TelemetryReport.objects.filter(device__isnull=True).count() == 1


def test_a_deactivated_node_is_not_brought_back(client):
    license = LicenseFactory()
    _post(client, _body(license, nodeId="n1"))
    device_deactivate(device=Device.objects.get())
    assert _post(client, _body(license, nodeId="n1")).status_code == 201
    assert Device.objects.get().status == Device.Status.DEACTIVATED
    assert TelemetryReport.objects.filter(device__isnull=True).count() == 1


@pytest.mark.parametrize("bad", ["", "   ", 12, "x" * 201, ["n1"]])
def test_a_bad_node_id_is_a_400_in_the_seeds_shape(client, bad):
    license = LicenseFactory()
    response = _post(client, _body(license, nodeId=bad))
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400 and response.json()["code"] == "INVALID_NODE_ID"
    assert not TelemetryReport.objects.exists() and not Device.objects.exists()


def test_a_known_node_costs_one_query_more_than_the_tenant_series(
    client, django_assert_max_num_queries
):
    license = LicenseFactory()
    _post(client, _body(license, nodeId="n1"))
    rules_for(tenant_id=license.tenant_id, product_id=license.product_id)  # warm, as a worker
    with django_assert_max_num_queries(3):
        assert _post(client, _body(license, nodeId="n1")).status_code == 201


def test_a_silent_node_alerts_once_and_resolves_on_its_next_report(client):
    license = LicenseFactory()
    _post(client, _body(license, nodeId="n1"))
    device_contacts_flush()
    Device.objects.update(last_seen_at=timezone.now() - timedelta(hours=1))
    devices_offline_sweep()
    devices_offline_sweep()
    alert = Alert.objects.get(metric="offline")
    assert alert.is_open and Event.objects.filter(type="device.offline").count() == 1
    forget_caches()  # an hour later: the contact interval noted in the cache is long gone
    _post(client, _body(license, nodeId="n1"))
    device_contacts_flush()
    devices_offline_sweep()
    alert.refresh_from_db()
    assert not alert.is_open and alert.resolution == "online"
    assert Event.objects.filter(type="device.online").count() == 1
    assert Alert.objects.filter(metric="offline").count() == 1


@pytest.mark.parametrize(
    ("metric", "field", "high", "still", "low"),
    [
        ("aiLatency", "aiLatency", 900.0, 480.0, 440.0),
        ("activeUsers", "activeUsers", 900, 480, 440),
        ("additionalData.cpuUsage", "additionalData", 900.0, 480.0, 440.0),
    ],
)
def test_rules_on_any_numeric_field_with_hysteresis(client, metric, field, high, still, low):
    license = LicenseFactory()
    staff.alert_rule_create(
        tenant=license.tenant, metric=metric, warning=500, critical=800, margin=50
    )

    def report(value):
        if field == "additionalData":
            value = {"cpuUsage": value}
        assert _post(client, _body(license, nodeId="n1", **{field: value})).status_code == 201
        latest_metrics_flush()

    report(high)
    alert = Alert.objects.get(metric=metric)
    assert alert.is_open and alert.severity == "critical"
    report(still)  # under the threshold, not by the margin: stays open
    alert.refresh_from_db()
    assert alert.is_open
    report(low)
    alert.refresh_from_db()
    assert not alert.is_open and alert.resolution == "recovered"
    assert Alert.objects.filter(metric=metric).count() == 1
