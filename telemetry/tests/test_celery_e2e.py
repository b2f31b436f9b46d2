"""Celery for real: a worker with an embedded beat runs the offline sweep on its own, which
opens the alert and records `device.offline` and `alert.opened` (the events webhooks
deliver: sync.events.publish writes the outbox the delivery worker reads)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from devices.tests.test_celery_e2e import worker  # noqa: F401 - the fixture
from sync.models import Event
from telemetry.models import Alert

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sweep_every_second(monkeypatch):
    monkeypatch.setenv("RELAIS_OFFLINE_SWEEP_SECONDS", "1")


def test_beat_and_worker_sweep_a_silent_device_offline(sweep_every_second, worker):  # noqa: F811
    process, log = worker
    silent = DeviceFactory(last_seen_at=timezone.now() - timedelta(hours=1))
    alive = DeviceFactory(last_seen_at=timezone.now() + timedelta(minutes=10))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if Event.objects.filter(type="device.offline").exists():
            break
        time.sleep(0.5)
    output = log.read_text()
    assert process.poll() is None, f"worker died:\n{output}"
    alert = Alert.objects.get(device=silent)
    assert alert.metric == "offline" and alert.is_open, output
    assert not Alert.objects.filter(device=alive).exists()
    event = Event.objects.get(type="device.offline")
    assert event.payload["deviceId"] == str(silent.pk) and event.tenant_id == silent.tenant_id
    assert Event.objects.filter(type="alert.opened", payload__alertId=alert.pk).exists()
    assert "devices_offline_sweep_task" in output
