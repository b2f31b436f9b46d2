"""Telemetry and heartbeats on their one implementation: stored as sent, a site key's
heartbeat gets its commands, bad input stores nothing and gets a JSON error with a code."""

import json

import pytest
from django.utils import timezone

from commands.services import command_create
from devices.tests.factories import DeviceFactory
from devices.tests.sites import neopro_fleet, registered_site
from telemetry.models import TelemetryReport

pytestmark = pytest.mark.django_db
URL, HEARTBEAT = "/api/v1/telemetry", "/api/v1/devices/heartbeat"
REPORT = {"metrics": {"cpu": 12.5, "memory": 40}, "uptime": 3600, "version": "1.2.0"}


@pytest.fixture
def device(db):
    return DeviceFactory()


def _heartbeat(device):
    now_ms = int(timezone.now().timestamp() * 1000)
    metrics = {"cpu": 45.2, "memory": 62.1, "temperature": 52.3, "disk": 78.5, "uptime": 3600000}
    return {"siteId": str(device.pk), "timestamp": now_ms, "metrics": metrics}


def _post(client, url, text, bearer, content_type="application/json"):
    if not isinstance(text, str | bytes):
        text = json.dumps(text)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"}
    return client.post(url, text, content_type=content_type, **headers)


@pytest.mark.parametrize(
    "body", [REPORT, {"reports": [REPORT, REPORT | {"uptime": 3700}]}], ids=["one", "batch"]
)
def test_reports_are_stored(client, device, body):
    response = _post(client, URL, body, device.token)
    assert response.status_code == 201
    assert response.json()["accepted"] == len(body.get("reports", [1]))
    assert TelemetryReport.objects.filter(device=device).count() == len(body.get("reports", [1]))
    assert response.headers["Content-Language"] and "Accept-Language" in response.headers["Vary"]


def test_a_site_key_heartbeat_gets_its_commands(client, django_capture_on_commit_callbacks):
    site, api_key = registered_site(neopro_fleet())
    response = _post(client, HEARTBEAT, _heartbeat(site), api_key)
    assert response.status_code == 200 and response.json()["commands"] == []
    with django_capture_on_commit_callbacks(execute=True):
        command_create(device=site, type="reboot")
    response = _post(client, HEARTBEAT, _heartbeat(site), api_key)
    assert response.status_code == 200
    assert [c["type"] for c in response.json()["commands"]] == ["reboot"]
    assert TelemetryReport.objects.filter(device=site).count() == 2


BAD = [
    ("not JSON", URL, "{nope", "application/json"),
    ("NaN", URL, '{"metrics": {"cpu": NaN}}', "application/json"),
    ("text/plain", URL, json.dumps(REPORT), "text/plain"),
    ("control character", URL, json.dumps(REPORT | {"version": "1.2\u0001"}), "application/json"),
    ("invalid report", URL, json.dumps({"metrics": "high"}), "application/json"),
    ("too large", URL, json.dumps({"reports": [REPORT] * 5000}), "application/json"),
    ("another site", HEARTBEAT, "SITE", "application/json"),
]


@pytest.mark.parametrize(
    ("url", "text", "content_type"), [case[1:] for case in BAD], ids=[c[0] for c in BAD]
)
def test_bad_input_gets_a_json_error_and_stores_nothing(client, device, url, text, content_type):
    if text == "SITE":
        text = json.dumps(_heartbeat(DeviceFactory()))
    response = _post(client, url, text, device.token, content_type=content_type)
    assert 400 <= response.status_code < 500 and response.json()["code"]
    assert not TelemetryReport.objects.exists()
