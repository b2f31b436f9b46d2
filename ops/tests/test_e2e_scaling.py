"""More than one machine, on this one (docs/operations/scaling.md): two web processes
(config.asgi under uvicorn, Django and Socket.IO), two Celery workers and one beat, on
PostgreSQL and Redis (and S3 when the environment names a bucket), sharing nothing else.

- a Socket.IO push asked of one web process reaches a socket the other one holds (Redis
  manager);
- a release published through one web process is offered at once by the other (the
  catalogue's generation is in Redis);
- a rollout ticked by beat and by bursts of extra ticks, raced by both workers, runs each
  stage once;
- webhook deliveries flushed by both workers and swept by beat are each sent once."""

import os
import subprocess
import sys
import time
from collections import Counter

import pytest
import requests
from django.conf import settings
from django.db import connection

from conftest import ROOT, _database_url, _worker_broker_url
from core.models import Event
from core.services import events
from devices.tests.sites import neopro_fleet, registered_site
from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, ProductFactory, UserFactory
from realtime.tests.realtime import Agent
from releases.models import Rollout
from releases.services import rollouts
from releases.tasks import rollouts_tick_task
from releases.tests.factories import published_release
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery
from webhooks.tests.receiver import start_receiver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="more than one machine means PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
    ),
]
LOOPBACK = "127.0.0.0/8,::1/128"


@pytest.fixture
def cluster(asgi_server, tmp_path, worker_broker):
    """`cluster.web()` starts a web process, `cluster.workers()` two workers and one beat;
    all on the test database, Redis (cache, Socket.IO manager, broker) and one storage."""
    shared = {
        # The broker this process sends to too (worker_broker): tasks really cross processes.
        "CELERY_BROKER_URL": _worker_broker_url(),
        "CELERY_RESULT_BACKEND": _worker_broker_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "RELAIS_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),  # one key, as deployed
        "RELAIS_WEBHOOK_ALLOWED_NETWORKS": LOOPBACK,
        "RELAIS_WEBHOOK_SWEEP_SECONDS": "0.5",
        "RELAIS_ROLLOUT_TICK_SECONDS": "0.5",
        "RELAIS_ROLLOUT_HOLD_UNIT_SECONDS": "1",
    }
    processes: list[tuple[subprocess.Popen, object]] = []

    class Cluster:
        def __init__(self):
            self.logs: list = []

        def web(self) -> str:
            # Local files: one folder for both (S3 when the environment names a bucket).
            return asgi_server(**shared, RELAIS_VAR_DIR=str(tmp_path / "shared-var"))

        def _celery(self, name: str, *args: str) -> None:
            log_path = tmp_path / f"{name}.log"
            log = log_path.open("w")
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": _database_url(),
                "RELAIS_VAR_DIR": str(tmp_path / name),
                **shared,
            }
            process = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel=INFO"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            processes.append((process, log))
            self.logs.append(log_path)

        def workers(self) -> None:
            for name in ("worker-1", "worker-2"):
                # Two threads each: four tasks at once over two processes.
                self._celery(
                    name, "worker", f"--hostname={name}@%h", "--pool=threads", "--concurrency=2"
                )
            self._celery("beat", "beat", f"--schedule={tmp_path / 'beat-schedule'}")

        def alive(self) -> None:
            for (process, _), log in zip(processes, self.logs, strict=True):
                assert process.poll() is None, log.read_text()

        def log(self) -> str:
            return "\n".join(f"--- {path.name}\n{path.read_text()}" for path in self.logs)

    yield Cluster()
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait(cluster, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cluster.alive()
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"not reached in {seconds}s\n{cluster.log()}")


def test_two_web_processes_share_sockets_and_the_catalogue(cluster):
    one, other = cluster.web(), cluster.web()
    cluster.workers()

    # Socket.IO: the agent's socket is held by `one`; the command is asked of `other`.
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    agent = Agent(one)
    try:
        agent.authenticate(str(site.pk), key)
        staff = {"Authorization": f"Bearer {api_token_create(user=fleet.staff).token}"}
        created = requests.post(
            f"{other}/api/v1/manage/device-commands/",
            json={"device": str(site.pk), "type": "reboot", "data": {}},
            headers=staff,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        assert agent.next("command")["id"] == created.json()["id"]
    finally:
        agent.close()

    # The catalogue: `other` has answered "nothing new" (its catalogue is warm) when a CI
    # publishes through `one`; `other` offers it within the poll interval.
    license = LicenseFactory()
    node = {"Authorization": f"Bearer {license.key}"}
    hardware = {"hardwareId": "hw-1", "machineName": "PC", "osVersion": "10", "appVersion": "1.0"}
    registered = requests.post(
        f"{other}/api/v1/updates/register-device", json=hardware, headers=node, timeout=10
    )
    assert registered.status_code == 201, registered.text
    check = {"hardwareId": "hw-1", "version": "1.0.0"}

    def offer():
        return requests.get(
            f"{other}/api/v1/updates/check", params=check, headers=node, timeout=10
        ).json()

    assert offer() == {"updateAvailable": False}
    ci = requests.Session()
    ci.headers["Authorization"] = (
        f"Bearer {api_token_create(user=UserFactory(is_superuser=True)).token}"
    )
    release = ci.post(
        f"{one}/api/v1/manage/releases/", json={"product": license.product.pk, "version": "2.0.0"}
    ).json()
    uploaded = ci.post(
        f"{one}/api/v1/manage/artifacts/",
        data={"release": release["id"], "platform": "any", "size": "6"},
        files={"file": ("setup.exe", b"binary")},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert ci.post(f"{one}/api/v1/manage/releases/{release['id']}/publish/").ok
    # `other` asks Redis whether the catalogue moved every RELAIS_CATALOGUE_POLL_SECONDS
    # (1 s): its worker's memo is dropped then, not after the catalogue's 300 s.
    deadline = time.monotonic() + 10
    while not (offered := offer())["updateAvailable"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert offered["updateAvailable"] and offered["version"] == "2.0.0", offered
    download = requests.get(offered["downloadUrl"], headers=node, timeout=30)
    assert download.content == b"binary"


def test_two_workers_racing_run_each_rollout_stage_and_send_each_webhook_once(cluster):
    receiver, server = start_receiver()
    try:
        cluster.workers()
        release = published_release(product=ProductFactory(), version="3.0.0")
        stages = [{"percent": p, "holdMinutes": 1} for p in (10, 50, 100)]
        rollout = rollouts.rollout_start(release=release, stages=stages, min_sample=1000)
        endpoints = [
            webhooks.endpoint_create(url=f"{receiver.url}/{n}", event_types=["license.*"])
            for n in range(2)
        ]
        for n in range(20):  # each queues a flush per endpoint; beat sweeps every 0.5 s
            events.publish("license.suspended", payload={"n": n})

        def finished():
            # Extra ticks besides beat's: both workers race on the same rollout.
            for _ in range(4):
                rollouts_tick_task.delay()
            rollout.refresh_from_db()
            sent = WebhookDelivery.objects.filter(status="succeeded").count()
            return rollout.status == Rollout.Status.COMPLETED and sent == 40

        _wait(cluster, finished, seconds=90)
        time.sleep(2)  # later sweeps and ticks would show as duplicates
    finally:
        server.shutdown()
        server.server_close()

    changes = Counter(
        (e.type, e.payload["stage"])
        for e in Event.objects.filter(type__startswith="rollout.")
        if str(e.payload["rolloutId"]) == str(rollout.pk)
    )
    assert changes == {
        ("rollout.started", 0): 1,
        ("rollout.advanced", 1): 1,
        ("rollout.advanced", 2): 1,
        ("rollout.completed", 2): 1,
    }
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(ids) == 40 and set(ids.values()) == {1}
    assert {d.endpoint_id for d in WebhookDelivery.objects.all()} == {
        e.endpoint.pk for e in endpoints
    }
    for name in ("worker-1", "worker-2"):  # both took their share
        assert "succeeded in" in (cluster.logs[0].parent / f"{name}.log").read_text()
