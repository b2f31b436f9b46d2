"""Telemetry and heartbeats on the lean path (core.api.lean): the full stack's answers, the
same rows stored, and nothing written twice when something fails."""

import json
from unittest import mock

import pytest
from django.utils import timezone

from commands.services import command_create
from devices.tests.factories import DeviceFactory
from devices.tests.sites import neopro_fleet, registered_site
from telemetry.api.views import HeartbeatView, TelemetryView
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


def _answer(response):
    body = response.json()
    names = ("Content-Type", "Content-Length", "Content-Language", "Vary", "X-Frame-Options")
    headers = [response.headers.get(name) for name in names]
    if "serverTime" in body:  # the clock moved between the two requests
        headers[1] = int(headers[1]) - len(body.pop("serverTime"))
    return response.status_code, body, headers


def _both(client, settings, url, text, bearer, **kwargs):
    """(lean, full stack) answers, and the rows each stored."""
    answers = []
    for lean in (True, False):
        settings.RELAIS_NODE_LEAN = lean
        before = TelemetryReport.objects.count()
        response = _post(client, url, text, bearer, **kwargs)
        answers.append((_answer(response), TelemetryReport.objects.count() - before))
    return answers


def _full_stack_fails():
    broken = mock.Mock(side_effect=AssertionError("took the full stack"))
    return mock.patch.object(TelemetryView, "post", broken), mock.patch.object(
        HeartbeatView, "post", broken
    )


@pytest.mark.parametrize(
    "body", [REPORT, {"reports": [REPORT, REPORT | {"uptime": 3700}]}], ids=["one", "batch"]
)
def test_reports_are_stored_lean_as_by_the_full_stack(client, settings, device, body):
    lean, full = _both(client, settings, URL, body, device.token)
    assert lean == full and lean[0][0] == 201 and lean[1] == len(body.get("reports", [1]))
    settings.RELAIS_NODE_LEAN = True
    telemetry, heartbeat = _full_stack_fails()
    with telemetry, heartbeat:
        assert _answer(_post(client, URL, body, device.token)) == lean[0]


def test_a_site_key_heartbeat_takes_the_lean_path_and_gets_its_commands(
    client, settings, django_capture_on_commit_callbacks
):
    site, api_key = registered_site(neopro_fleet())
    lean, full = _both(client, settings, HEARTBEAT, _heartbeat(site), api_key)
    assert lean == full and lean[0][0] == 200 and lean[1] == 1
    with django_capture_on_commit_callbacks(execute=True):
        command_create(device=site, type="reboot")
    settings.RELAIS_NODE_LEAN = True
    telemetry, heartbeat = _full_stack_fails()
    with telemetry, heartbeat:
        response = _post(client, HEARTBEAT, _heartbeat(site), api_key)
    assert response.status_code == 200
    assert [c["type"] for c in response.json()["commands"]] == ["reboot"]


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
def test_bad_input_gets_the_full_stacks_answer_and_stores_nothing(
    client, settings, device, url, text, content_type
):
    if text == "SITE":
        text = json.dumps(_heartbeat(DeviceFactory()))
    lean, full = _both(client, settings, url, text, device.token, content_type=content_type)
    assert lean == full and lean[0][0] >= 400 and lean[1] == 0


def test_another_charset_is_left_to_the_full_stack(client, settings, device):
    kind = "application/json; charset=latin-1"
    lean, full = _both(client, settings, URL, json.dumps(REPORT), device.token, content_type=kind)
    assert lean == full and lean[0][0] == 201


def test_a_failure_after_the_write_began_is_not_written_again(client, settings, device):
    settings.RELAIS_NODE_LEAN = True
    with mock.patch(
        "telemetry.api.views.reports_record", side_effect=RuntimeError("lost the database")
    ) as record:
        client.raise_request_exception = False
        response = _post(client, URL, REPORT, device.token)
    assert response.status_code == 500 and response.json()["code"] == "SERVER_ERROR"
    assert record.call_count == 1  # the lean path did not step aside to write again
