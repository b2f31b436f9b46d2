"""Celery for real: a worker with an embedded beat runs the offline sweep on its own, which
opens the alert and records `device.offline` and `alert.opened` (the events webhooks
deliver: sync.events.publish writes the outbox the delivery worker reads)."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from devices.tests.test_celery_e2e import ROOT, _database_url
from sync.models import Event
from telemetry.models import Alert

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path):
    """As devices' e2e fixture, with the sweep every second and, on Redis, the broker in the
    test's own Redis database (the cache's: tests clear it only before and after), so no
    other suite's worker, run at the same time on the same server, takes these tasks."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "RELAIS_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "RELAIS_OFFLINE_SWEEP_SECONDS": "1",
    }
    if settings.REDIS_URL:
        env["CELERY_BROKER_URL"] = env["CELERY_RESULT_BACKEND"] = settings.REDIS_URL
    (tmp_path / "celery" / "queue").mkdir(parents=True)
    (tmp_path / "celery" / "processed").mkdir(parents=True)
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"),
            *("--loglevel=INFO", "--concurrency=1", "--pool=solo"),
            f"--schedule={tmp_path / 'beat-schedule'}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, tmp_path / "worker.log"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_beat_and_worker_sweep_a_silent_device_offline(worker):
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
