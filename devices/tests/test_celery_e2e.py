"""Celery for real: a worker with an embedded beat, as `scripts/run-embedded` and the
docker stack run them, frees the seat of a silent device on its own."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "RELAIS_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "RELAIS_SEAT_SWEEP_SECONDS": "1",
    }
    if settings.REDIS_URL:
        # A database of its own: tests flush the cache's.
        env["CELERY_BROKER_URL"] = settings.REDIS_URL.rsplit("/", 1)[0] + "/14"
        env["CELERY_RESULT_BACKEND"] = env["CELERY_BROKER_URL"]
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
