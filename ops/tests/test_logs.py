"""Request ids: accepted or made, echoed, on every record of the request (JSON or text, with
capabilities still masked) and on the worker's records of the tasks the request queued."""

import io
import json
import logging
import logging.config
import time

import pytest
from django.conf import settings

from ops.logs import RequestIdFilter
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create
from webhooks.tests.receiver import start_receiver
from webhooks.tests.test_e2e import _wait_for

pytestmark = pytest.mark.django_db

SENT = "req-4f2c9a1b7e"


@pytest.fixture
def console():
    """The records the configured console handler writes, formatted as `format` asks."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    stream, formatter = io.StringIO(), handler.formatter
    previous = handler.setStream(stream)

    def use(name):
        handler.setFormatter(
            logging.config.DictConfigurator(settings.LOGGING).configure_formatter(
                dict(settings.LOGGING["formatters"][name])
            )
        )
        return stream

    yield use
    handler.setStream(previous)
    handler.setFormatter(formatter)


def test_a_well_formed_request_id_is_echoed(client):
    response = client.get("/api/v1/health/live", HTTP_X_REQUEST_ID=SENT)
    assert response["X-Request-ID"] == SENT


@pytest.mark.parametrize(
    "sent", [None, "", "short", "has space in it", "a\r\nforged: line", "x" * 200]
)
def test_otherwise_a_new_one_is_made(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    first = client.get("/api/v1/health/live", **headers)["X-Request-ID"]
    second = client.get("/api/v1/health/live", **headers)["X-Request-ID"]
    assert first != second
    assert len(first) == 32 and first.isalnum()


def test_json_records_carry_the_request_id_with_capabilities_masked(client, console):
    stream = console("json")
    response = client.get("/update/download/capability-secret-123", HTTP_X_REQUEST_ID=SENT)
    assert response.status_code == 404
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    ours = [r for r in records if r["request_id"] == SENT]
    assert ours, stream.getvalue()
    assert {"time", "level", "logger", "message"} <= set(ours[0])
    assert ours[0]["logger"] == "django.request"
    assert "capability-secret-123" not in stream.getvalue()
    assert "/update/download/***" in ours[0]["message"]


def test_text_records_carry_it_too_and_dash_outside_requests(client, console):
    stream = console("text")
    client.get("/api/v1/no-such-route", HTTP_X_REQUEST_ID=SENT)
    logging.getLogger("relais.test").warning("outside any request")
    lines = stream.getvalue().splitlines()
    assert any(f"[{SENT}]" in line and "Not Found" in line for line in lines), lines
    assert any("[-] outside any request" in line for line in lines), lines


def test_production_logs_json_by_default():
    import subprocess
    import sys

    code = (
        "from django.conf import settings\n"
        "print(settings.LOGGING['handlers']['console']['formatter'])\n"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 50,
        "RELAIS_KEY_PEPPER": "p" * 32,
        "RELAIS_SIGNING": "false",
        "PATH": "/usr/bin:/bin",
    }
    run = [sys.executable, "-c", code]
    root = settings.BASE_DIR
    out = subprocess.run(run, env=env, cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "json"
    text = {**env, "RELAIS_LOG_FORMAT": "text"}
    out = subprocess.run(run, env=text, cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "text"
    bad = {**env, "RELAIS_LOG_FORMAT": "xml"}
    out = subprocess.run(run, env=bad, cwd=root, capture_output=True, text=True)
    assert out.returncode != 0 and "RELAIS_LOG_FORMAT" in out.stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker_broker")
def test_the_worker_logs_the_tasks_a_request_queued_under_its_id(
    start_worker, platform_client, monkeypatch
):
    receiver, server = start_receiver()
    try:
        loopback = ["127.0.0.0/8", "::1/128"]
        process, log = start_worker(RELAIS_WEBHOOK_ALLOWED_NETWORKS=",".join(loopback))
        monkeypatch.setattr(settings, "RELAIS_WEBHOOK_ALLOWED_NETWORKS", loopback)
        endpoint = endpoint_create(url=receiver.url).endpoint
        response = platform_client.post(
            f"/api/v1/manage/webhook-endpoints/{endpoint.pk}/test/", HTTP_X_REQUEST_ID=SENT
        )
        assert response.status_code in (200, 201, 202), response.content
        assert response["X-Request-ID"] == SENT

        def sent():
            return WebhookDelivery.objects.filter(
                endpoint=endpoint, status="succeeded", event__type="webhook.test"
            ).exists()

        _wait_for(sent, process, log)
        deadline = time.monotonic() + 10
        while "succeeded" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        lines = [line for line in log.read_text().splitlines() if "succeeded" in line]
        assert any(
            f"[{SENT}]" in line and "webhook_endpoint_flush_task" in line for line in lines
        ), log.read_text()
    finally:
        server.shutdown()
        server.server_close()
