"""The three routes receiving reports: bodies, answers, errors, query budgets."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, TenantFactory
from telemetry.models import Alert, TelemetryReport
from telemetry.rules import rules_for

pytestmark = pytest.mark.django_db
URL, HEARTBEAT, CYBERSENSEI = "/api/v1/telemetry", "/api/v1/devices/heartbeat", "/telemetry"


@pytest.fixture
def device(db):
    return DeviceFactory()


def _post(client, url, body, device=None, **headers):
    if device is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {device.token}"
    # float("inf") is sent as 1e999: valid JSON that Python parses as infinity.
    text = json.dumps(body).replace("Infinity", "1e999")
    return client.post(url, text, content_type="application/json", **headers)


def _warm(device):
    rules_for(tenant_id=device.tenant_id, product_id=device.product_id)


def _heartbeat(device, **metrics):
    return {
        "siteId": str(device.pk),
        "timestamp": int(timezone.now().timestamp() * 1000),
        "metrics": {
            "cpu": 45.2,
            "memory": 62.1,
            "temperature": 52.3,
            "disk": 78.5,
            "uptime": 3600000,
        }
        | metrics,
    }


# --- Canonical -----------------------------------------------------------------------------


def test_one_report_is_stored_in_two_queries(api_client, device, django_assert_max_num_queries):
    _warm(device)
    body = {"metrics": {"cpu": 12.5, "memory": 40}, "uptime": 3600, "version": "1.2.0"}
    with django_assert_max_num_queries(2):
        response = _post(api_client, URL, body, device)
    assert response.status_code == 201, response.json()
    assert response.json()["accepted"] == 1 and response.json()["heartbeatInterval"] == 30000
    row = TelemetryReport.objects.get()
    assert row.device_id == device.pk and row.tenant_id == device.tenant_id
    assert row.metrics == {"cpu": 12.5, "memory": 40} and row.uptime == 3600
    assert row.version == "1.2.0" and row.kind == "telemetry" and row.reported_at is None


def test_a_batch_of_500_is_stored_in_at_most_three_queries(
    api_client, device, django_assert_max_num_queries
):
    _warm(device)
    start = timezone.now() - timedelta(hours=1)
    reports = [
        {"metrics": {"cpu": i % 100}, "reportedAt": (start + timedelta(seconds=i)).isoformat()}
        for i in range(500)
    ]
    with django_assert_max_num_queries(3):
        response = _post(api_client, URL, {"reports": reports}, device)
    assert response.status_code == 201, response.json()
    assert response.json()["accepted"] == 500
    assert TelemetryReport.objects.filter(device=device).count() == 500
    first = TelemetryReport.objects.order_by("id").first()
    assert first.reported_at == datetime.fromisoformat(reports[0]["reportedAt"])


def test_license_key_and_hardware_id_authenticate_too(api_client, device):
    body = {"hardwareId": device.hardware_id, "metrics": {"cpu": 1}}
    response = api_client.post(
        URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {device.license.key}"
    )
    assert response.status_code == 201
    assert TelemetryReport.objects.get().device_id == device.pk


def test_without_credentials_nothing_is_stored(api_client):
    response = api_client.post(URL, {"metrics": {"cpu": 1}}, format="json")
    assert response.status_code in (401, 403) and "code" in response.json()
    assert not TelemetryReport.objects.exists()


def test_over_500_reports_is_refused_whole(api_client, device):
    response = _post(api_client, URL, {"reports": [{"metrics": {"cpu": 1}}] * 501}, device)
    assert response.status_code == 400 and response.json()["code"] == "BATCH_TOO_LARGE"
    assert not TelemetryReport.objects.exists()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"metrics": {"cpu": "high"}}, "INVALID_METRIC"),
        ({"metrics": {"cpu": True}}, "INVALID_METRIC"),
        ({"metrics": {"cpu": 1e999}}, "NON_FINITE_METRIC"),
        ({"metrics": {"cpu": 1e300}}, "INVALID_METRIC"),
        ({"metrics": {"cpu": 1}, "reportedAt": "2999-01-01T00:00:00Z"}, "TIMESTAMP_IN_FUTURE"),
        ({"metrics": {"cpu": 1}, "reportedAt": "2001-01-01T00:00:00Z"}, "TIMESTAMP_TOO_OLD"),
        ({"metrics": {"cpu": 1}, "reportedAt": "yesterday"}, "VALIDATION_ERROR"),
        # Well formed, impossible: Django's parser raises instead of answering None.
        ({"metrics": {"cpu": 1}, "reportedAt": "2026-01-01T12:60:00Z"}, "VALIDATION_ERROR"),
        ({"metrics": [1, 2]}, "VALIDATION_ERROR"),
        ({"metrics": {"cpu": 1}, "uptime": -5}, "INVALID_METRIC"),
        ({"metrics": {"cpu": 1}, "cpu": 3}, "VALIDATION_ERROR"),
    ],
)
def test_one_bad_report_refuses_the_whole_batch(api_client, device, bad, code):
    reports = [{"metrics": {"cpu": 1}}] * 10 + [bad] + [{"metrics": {"cpu": 2}}]
    response = _post(api_client, URL, {"reports": reports}, device)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["message"]
    assert "10" in body["errors"]["reports"], body
    assert not TelemetryReport.objects.exists()
    single = _post(api_client, URL, bad, device)
    assert single.status_code == 400 and single.json()["code"] == code


def test_non_finite_literals_are_a_parse_error(api_client, device):
    response = api_client.post(
        URL,
        '{"metrics": {"cpu": NaN}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {device.token}",
    )
    assert response.status_code == 400 and response.json()["code"] == "PARSE_ERROR"


def test_a_body_over_the_limit_is_413(api_client, device, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    reports = [{"metrics": {"cpu": 1.5}}] * 200
    response = _post(api_client, URL, {"reports": reports}, device)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert not TelemetryReport.objects.exists()


# --- NEOPRO heartbeat ---------------------------------------------------------------------


def test_heartbeat_answers_with_the_interval(api_client, device, django_assert_max_num_queries):
    _warm(device)
    with django_assert_max_num_queries(2):
        response = _post(api_client, HEARTBEAT, _heartbeat(device), device)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ok"] is True and body["heartbeatInterval"] == 30000
    assert body["siteId"] == str(device.pk)
    row = TelemetryReport.objects.get()
    assert row.kind == "heartbeat" and row.uptime == 3600
    assert row.metrics == {"cpu": 45.2, "memory": 62.1, "temperature": 52.3, "disk": 78.5}
    assert abs((row.reported_at - timezone.now()).total_seconds()) < 5


def test_heartbeat_interval_is_a_setting(api_client, device, settings):
    settings.RELAIS_HEARTBEAT_INTERVAL_SECONDS = 120
    assert _post(api_client, HEARTBEAT, _heartbeat(device), device).json()["heartbeatInterval"] == (
        120_000
    )


def test_heartbeat_of_another_site_is_refused(api_client, device):
    other = DeviceFactory()  # another tenant's device
    for site in (str(other.pk), str(uuid.uuid4()), "site-rennes"):
        body = _heartbeat(device) | {"siteId": site}
        response = _post(api_client, HEARTBEAT, body, device)
        assert response.status_code == 403, site
        assert response.json()["code"] == "SITE_MISMATCH"
    assert not TelemetryReport.objects.exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"timestamp": int((datetime.now(UTC) + timedelta(days=2)).timestamp() * 1000)},
            "TIMESTAMP_IN_FUTURE",
        ),
        ({"timestamp": 10**30}, "TIMESTAMP_IN_FUTURE"),
        ({"timestamp": "now"}, "INVALID_TIMESTAMP"),
        ({"timestamp": -1}, "INVALID_TIMESTAMP"),
        ({"metrics": {"cpu": "45%"}}, "INVALID_METRIC"),
        ({"metrics": {"temperature": 1e400}}, "NON_FINITE_METRIC"),
        ({"metrics": None}, "VALIDATION_ERROR"),
    ],
)
def test_heartbeat_bad_input(api_client, device, change, code):
    response = _post(api_client, HEARTBEAT, _heartbeat(device) | change, device)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert not TelemetryReport.objects.exists()


def test_heartbeat_missing_fields(api_client, device):
    response = _post(api_client, HEARTBEAT, {"siteId": str(device.pk)}, device)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"timestamp", "metrics"}


# --- CyberSensei ---------------------------------------------------------------------------


def _cybersensei(tenant_id, **fields):
    return {
        "tenantId": str(tenant_id),
        "uptime": 86400,
        "activeUsers": 42,
        "exercisesCompletedToday": 156,
        "aiLatency": 247.5,
        "version": "1.2.0",
        "additionalData": {"cpuUsage": 45.2, "memoryUsage": 62.8, "diskUsage": 38.1},
    } | fields


def test_cybersensei_report_is_201_in_the_seeds_words(api_client, django_assert_max_num_queries):
    license = LicenseFactory()
    with django_assert_max_num_queries(2):
        response = _post(api_client, CYBERSENSEI, _cybersensei(license.tenant_id))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["success"] is True and body["message"] == "Télémétrie enregistrée avec succès"
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 24
    row = TelemetryReport.objects.get()
    assert row.tenant_id == license.tenant_id and row.device_id is None and row.uptime == 86400
    assert row.metrics["activeUsers"] == 42 and row.metrics["additionalData"]["cpuUsage"] == 45.2


def test_cybersensei_null_ai_latency_is_accepted(api_client):
    license = LicenseFactory()
    body = _cybersensei(license.tenant_id, aiLatency=None)
    assert _post(api_client, CYBERSENSEI, body).status_code == 201


@pytest.mark.parametrize(
    ("license_fields", "status", "message"),
    [
        ({"expires_at": timezone.now() - timedelta(days=3)}, 400, "Licence expirée"),
        ({"tenant__is_active": False}, 400, "Tenant inactif"),
        ({"status": "revoked"}, 400, "Licence révoquée"),
    ],
)
def test_cybersensei_refusals_in_the_seeds_shape(api_client, license_fields, status, message):
    license = LicenseFactory(**license_fields)
    response = _post(
        api_client, CYBERSENSEI, _cybersensei(license.tenant_id), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == status
    body = response.json()
    assert body["statusCode"] == status and body["message"] == message and body["code"]
    assert not TelemetryReport.objects.exists()


def test_cybersensei_unknown_tenant_and_bad_ids(api_client):
    response = _post(api_client, CYBERSENSEI, _cybersensei(uuid.uuid4()))
    assert response.status_code == 404 and response.json()["statusCode"] == 404
    for bad in ("42", "not-a-uuid", 12, None):
        response = _post(api_client, CYBERSENSEI, _cybersensei("x") | {"tenantId": bad})
        body = response.json()
        assert response.status_code == 400 and body["statusCode"] == 400
        assert body["code"] == "INVALID_TENANT_ID"
    assert not TelemetryReport.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"activeUsers": "42"},
        {"exercisesCompletedToday": -1},
        {"uptime": 1.5},
        {"aiLatency": 1e999},
        {"additionalData": {"deep": [1, {"x": 1e999}]}},
        {"additionalData": "text"},
        {"unknown": 1},
    ],
)
def test_cybersensei_bad_input(api_client, change):
    license = LicenseFactory()
    response = _post(api_client, CYBERSENSEI, _cybersensei(license.tenant_id) | change)
    assert response.status_code == 400, response.json()
    assert response.json()["statusCode"] == 400 and response.json()["code"]
    assert not TelemetryReport.objects.exists()


def test_cybersensei_missing_required_field(api_client):
    license = LicenseFactory()
    body = _cybersensei(license.tenant_id)
    del body["activeUsers"]
    response = _post(api_client, CYBERSENSEI, body)
    assert response.status_code == 400 and "activeUsers" in response.json()["errors"]


def test_cybersensei_route_is_switchable(api_client, settings):
    settings.RELAIS_DIALECT_CYBERSENSEI = False
    license = LicenseFactory()
    response = _post(api_client, CYBERSENSEI, _cybersensei(license.tenant_id))
    assert response.status_code == 404 and response.json()["code"]
    assert not TelemetryReport.objects.exists()


def test_cybersensei_body_over_the_limit(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 300
    license = LicenseFactory()
    body = _cybersensei(license.tenant_id, additionalData={"blob": "x" * 1000})
    response = _post(api_client, CYBERSENSEI, body)
    assert response.status_code == 413
    assert response.json()["statusCode"] == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"


# --- Tenancy of node routes ----------------------------------------------------------------


def test_a_report_lands_in_the_devices_own_tenant(api_client):
    ours, theirs = DeviceFactory(), DeviceFactory(license__tenant=TenantFactory())
    _post(api_client, URL, {"metrics": {"cpu": 1}}, ours)
    assert TelemetryReport.objects.get().tenant_id == ours.tenant_id != theirs.tenant_id


def test_a_value_over_a_threshold_costs_the_request_no_query(
    api_client, device, django_assert_max_num_queries
):
    from telemetry.services.maintenance import latest_metrics_flush

    _warm(device)
    with django_assert_max_num_queries(2):
        response = _post(api_client, URL, {"metrics": {"temperature": 82}}, device)
    assert response.status_code == 201
    assert not Alert.objects.exists()  # noted for beat, which opens it
    latest_metrics_flush()
    assert Alert.objects.get().severity == "critical"


def test_cybersensei_errors_speak_french(api_client):
    response = _post(
        api_client, CYBERSENSEI, _cybersensei("x") | {"tenantId": "42"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    body = response.json()
    assert body["message"] == "Données invalides."
    assert body["errors"]["tenantId"] == ["UUID attendu."]


def test_a_kind_of_the_wrong_type_is_a_400(api_client, device):
    response = _post(api_client, URL, {"reports": [{"metrics": {}, "kind": {}}]}, device)
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
