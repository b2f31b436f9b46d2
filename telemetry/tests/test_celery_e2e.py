"""Celery for real: a worker with an embedded beat runs the offline sweep on its own, which
opens the alert, and delivers the resulting `device.offline` webhook to a local receiver."""

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Event
from devices.tests.factories import DeviceFactory
from telemetry.models import Alert
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery
from webhooks.tests.receiver import start_receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_beat_and_worker_sweep_a_silent_device_offline_and_deliver_the_webhook(
    start_worker, receiver, monkeypatch
):
    loopback = ["127.0.0.0/8", "::1/128"]  # the receiver's
    monkeypatch.setattr(settings, "RELAIS_WEBHOOK_ALLOWED_NETWORKS", loopback)
    webhooks.endpoint_create(url=receiver.url, event_types=["device.offline", "alert.*"])
    silent = DeviceFactory(last_seen_at=timezone.now() - timedelta(hours=1))
    alive = DeviceFactory(last_seen_at=timezone.now() + timedelta(minutes=10))
    process, log = start_worker(
        RELAIS_OFFLINE_SWEEP_SECONDS="1",
        RELAIS_WEBHOOK_ALLOWED_NETWORKS=",".join(loopback),
        RELAIS_WEBHOOK_SWEEP_SECONDS="1",
    )

    def delivered():
        return WebhookDelivery.objects.filter(
            status="succeeded", event__type="device.offline"
        ).exists()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and not delivered():
        time.sleep(0.5)
    output = log.read_text()
    assert process.poll() is None, f"worker died:\n{output}"
    alert = Alert.objects.get(device=silent)
    assert alert.metric == "offline" and alert.is_open, output
    assert not Alert.objects.filter(device=alive).exists()
    event = Event.objects.get(type="device.offline")
    assert event.payload["deviceId"] == str(silent.pk) and event.tenant_id == silent.tenant_id
    assert Event.objects.filter(type="alert.opened", payload__alertId=alert.pk).exists()
    assert delivered(), output
    bodies = [json.loads(r.body) for r in receiver.requests]
    offline = [b for b in bodies if b["type"] == "device.offline"]
    assert offline and offline[0]["data"]["deviceId"] == str(silent.pk)
    assert all("webhook-signature" in r.headers for r in receiver.requests)
    assert "devices_offline_sweep_task" in output
