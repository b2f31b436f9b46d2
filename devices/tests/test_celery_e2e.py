"""Celery for real: a worker with an embedded beat, as `scripts/run-embedded` and the
docker stack run them, frees the seat of a silent device on its own."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(start_worker):
    return start_worker(RELAIS_SEAT_SWEEP_SECONDS="1")


def test_beat_and_worker_free_a_silent_seat(worker):
    process, log = worker
    license = LicenseFactory(policy=PolicyFactory(heartbeat_window=timedelta(minutes=10)))
    silent = DeviceFactory(license=license, last_seen_at=timezone.now() - timedelta(hours=1))
    alive = DeviceFactory(license=license, last_seen_at=timezone.now())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if Device.objects.get(pk=silent.pk).status == Device.Status.DEACTIVATED:
            break
        time.sleep(0.5)
    output = log.read_text()
    assert process.poll() is None, f"worker died:\n{output}"
    assert Device.objects.get(pk=silent.pk).status == Device.Status.DEACTIVATED, output
    assert Device.objects.get(pk=alive.pk).status == Device.Status.ACTIVE
    assert "device_seats_free_silent_task" in output
