"""Celery for real: a worker with an embedded beat carries a rollout from 10 to 50 to 100 %
while simulated devices check and report over the node API, and halts one whose devices
report failures. Holds are seconds here (RELAIS_ROLLOUT_HOLD_UNIT_SECONDS=1).

The worker and this process share the database; with the embedded file cache they do not
share the cache (the worker's var/ is its own), so this process keeps its catalogue for at
most a second (RELAIS_CATALOGUE_CACHE_SECONDS=1): the bounded staleness of a deployment
whose cache is not shared. With REDIS_URL set both use Redis and see the bump at once."""

import time

import pytest
from rest_framework.test import APIClient

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.cohorts import in_cohort
from releases.models import Rollout
from releases.services import rollouts
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db(transaction=True)
N = 60
NEXT = {10: 50, 50: 100, 100: 100}  # a stage, or the next if the beat moved during a round


@pytest.fixture
def worker(start_worker, settings):
    settings.RELAIS_CATALOGUE_CACHE_SECONDS = 1
    return start_worker(RELAIS_ROLLOUT_TICK_SECONDS="0.5", RELAIS_ROLLOUT_HOLD_UNIT_SECONDS="1")


@pytest.fixture
def fleet():
    product = ProductFactory()
    license = LicenseFactory(policy__product=product, max_devices=None)
    devices = [DeviceFactory(license=license, app_version="1.0.0") for _ in range(N)]
    release = published_release(product=product, version="1.1.0")
    return release, devices


def _round(client, devices, outcome) -> list:
    """Each device not yet done checks; an offered one downloads and reports `outcome`."""
    done = []
    for device in devices:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
        offer = client.get("/api/v1/updates/check", {"version": device.app_version}).json()
        if not offer["updateAvailable"]:
            continue
        for status in ("DOWNLOADING", outcome):
            body = {"sessionId": offer["sessionId"], "status": status}
            if status == "FAILED":
                body["errorMessage"] = "Installer exited with 1603"
            response = client.post("/api/v1/updates/status", body, format="json")
            assert response.status_code == 200, response.json()
        done.append(device)
    return done


def _wait(process, log, condition, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return
        time.sleep(0.2)
    assert process.poll() is None, f"worker died:\n{log.read_text()}"
    assert condition(), log.read_text()


def test_beat_carries_a_rollout_to_completion_while_devices_update(worker, fleet):
    process, log = worker
    release, devices = fleet
    stages = [{"percent": p, "holdMinutes": 3} for p in (10, 50, 100)]
    rollout = rollouts.rollout_start(release=release, stages=stages, min_sample=N)
    client, pending, seen = APIClient(), list(devices), []
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline and process.poll() is None:
        percent = Rollout.objects.get(pk=rollout.pk).percent
        done = _round(client, pending, "COMPLETED")
        # Only devices of the cohort at the current percent (or the next, if the beat
        # moved on during the round) are ever offered it.
        for device in done:
            seen.append(percent)
            assert in_cohort(release.pk, device.pk, NEXT[percent]), (percent, device.pk)
        pending = [d for d in pending if d not in done]
        time.sleep(0.3)
    _wait(process, log, lambda: Rollout.objects.get(pk=rollout.pk).status == "completed")
    assert not pending, f"{len(pending)} devices never offered the update"
    # Stage by stage: the beat went 10 → 50 → 100 → completed, each stage once, and the
    # percent devices were offered at only grew.
    from core.models import Event

    steps = Event.objects.filter(type__startswith="rollout.").order_by("created_at")
    assert [(e.type, e.payload["percent"]) for e in steps] == [
        ("rollout.started", 10),
        ("rollout.advanced", 50),
        ("rollout.advanced", 100),
        ("rollout.completed", 100),
    ]
    assert seen == sorted(seen)
    if any(in_cohort(release.pk, d.pk, 10) for d in devices):
        assert seen[0] == 10
    from releases.models import UpdateSession

    assert UpdateSession.objects.filter(release=release, status="COMPLETED").count() == N
    assert "rollouts_tick_task" in log.read_text()


def test_reported_failures_halt_the_rollout(worker, fleet):
    process, log = worker
    release, devices = fleet
    stages = [{"percent": 30, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 0}]
    rollout = rollouts.rollout_start(
        release=release, stages=stages, max_failure_rate=20, min_sample=3
    )
    client = APIClient()
    failed = _round(client, devices, "FAILED")
    assert 3 <= len(failed) < N
    _wait(process, log, lambda: Rollout.objects.get(pk=rollout.pk).status == "halted")
    rollout.refresh_from_db()
    assert rollout.percent == 30 and "Failure rate" in rollout.halt_reason
    time.sleep(1.5)  # this process's catalogue memo lives a second
    assert _round(client, devices, "COMPLETED") == []  # nobody new is offered it
