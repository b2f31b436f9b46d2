"""/metrics beyond the web process: Celery task outcomes counted by the workers (and served
on their internal port), queue lengths read from the broker, Socket.IO connections of the
realtime process; Sentry only with a DSN, with credentials scrubbed."""

import gzip
import os
import subprocess
import sys
import time
import urllib.request

import pytest
import requests
from django.conf import settings

from config.celery import app
from config.sentry import scrub
from conftest import ROOT, _free_port
from devices.tests.sites import neopro_fleet, registered_site
from realtime.tests.realtime import Agent
from webhooks.tasks import webhook_deliveries_sweep_task, webhook_endpoint_flush_task
from webhooks.tests.receiver import start_receiver

from .test_metrics import TOKEN, samples, scrape, value

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token(settings):
    settings.RELAIS_METRICS_TOKEN = TOKEN


SWEEP = "webhooks.tasks.webhook_deliveries_sweep_task"
FLUSH = "webhooks.tasks.webhook_endpoint_flush_task"


def test_task_outcomes_and_durations_counted_per_task(client):
    before = scrape(client)
    webhook_deliveries_sweep_task.apply()
    webhook_deliveries_sweep_task.apply()
    webhook_endpoint_flush_task.apply(args=["not-an-endpoint-id"])  # raises in the task
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("relais_celery_tasks_total", task=SWEEP, outcome="succeeded") == 2
    assert moved("relais_celery_tasks_total", task=FLUSH, outcome="failed") == 1
    assert moved("relais_celery_tasks_total", task=FLUSH, outcome="succeeded") == 0
    assert moved("relais_celery_task_duration_seconds_count", task=SWEEP) == 2
    tasks = {dict(labels).get("task") for name, labels in after if name.startswith("relais_cel")}
    assert tasks - {None} <= set(app.tasks)  # labels are the code's task names, nothing else


def test_queue_lengths_read_from_the_broker(client, worker_broker, tmp_path):
    for folder in ("queue", "processed", "control"):  # the filesystem broker's (SQLite runs)
        (tmp_path / "celery" / folder).mkdir(parents=True, exist_ok=True)
    app.control.purge()
    # A producer on a connection to the broker configured now (the app's producer pool may
    # hold one made for the suite's default broker); no worker reads this broker: they wait.
    with app.connection_for_write() as connection, connection.Producer() as producer:
        for _ in range(3):
            webhook_deliveries_sweep_task.apply_async(producer=producer)
    found = scrape(client)
    assert value(found, "relais_celery_broker_up") == 1
    assert value(found, "relais_celery_queue_length", queue="celery") == 3
    app.control.purge()
    assert value(scrape(client), "relais_celery_queue_length", queue="celery") == 0


def test_a_broker_down_is_reported_not_waited_for(client):
    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{_free_port()}/0"  # nobody listens there
    app._pool = None
    try:
        found = scrape(client)
    finally:
        app.conf.broker_url = saved
        app._pool = None
    assert value(found, "relais_celery_broker_up") == 0
    assert not any(name == "relais_celery_queue_length" for name, _ in found)


@pytest.mark.django_db(transaction=True)
def test_a_worker_serves_its_counters_on_its_internal_port(start_worker, tmp_path):
    port = _free_port()
    folder = tmp_path / "metrics"
    folder.mkdir()
    process, log = start_worker(
        RELAIS_WORKER_METRICS_PORT=str(port),
        RELAIS_WORKER_METRICS_ADDRESS="127.0.0.1",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        RELAIS_WEBHOOK_SWEEP_SECONDS="0.5",  # beat queues sweeps the worker runs
    )
    deadline = time.monotonic() + 60
    found: dict = {}
    while time.monotonic() < deadline and process.poll() is None:
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()  # noqa: S310
            found = samples(text.decode())
        except OSError:
            pass
        if value(found, "relais_celery_tasks_total", task=SWEEP, outcome="succeeded") >= 2:
            break
        time.sleep(0.3)
    assert value(found, "relais_celery_tasks_total", task=SWEEP, outcome="succeeded") >= 2, (
        log.read_text()
    )


@pytest.mark.django_db(transaction=True)
def test_socketio_connections_of_the_realtime_process(asgi_server, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    url = asgi_server(RELAIS_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(folder))
    site, key = registered_site(neopro_fleet())

    def scraped():
        response = requests.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert response.status_code == 200, response.text
        return samples(response.text)

    first, second = Agent(url), Agent(url)
    try:
        first.authenticate(str(site.pk), key)
        found = scraped()
        assert value(found, "relais_socketio_connections") == 2
        assert value(found, "relais_socketio_connects_total") == 2
        second.close()
        deadline = time.monotonic() + 10
        while value(scraped(), "relais_socketio_connections") != 1:
            assert time.monotonic() < deadline, "the closed socket is still counted"
            time.sleep(0.1)
    finally:
        first.close()
        second.close()
    assert value(scraped(), "relais_socketio_connects_total") == 2


def test_sentry_is_off_without_a_dsn():
    import sentry_sdk

    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


def test_sentry_events_leave_without_credentials():
    event = {
        "request": {
            "url": "https://relais.example/update/download/capability-id?key=AAAA-BBBB",
            "query_string": "key=AAAA-BBBB",
            "headers": {"Authorization": "Bearer secret", "User-Agent": "CRM/1.0"},
            "cookies": {"sessionid": "s"},
            "data": {"key": "AAAA-BBBB"},
        },
        "breadcrumbs": {"values": [{"message": "GET /update/download/capability-id"}]},
    }
    scrubbed = scrub(event)
    assert scrubbed["request"] == {
        "url": "https://relais.example/update/download/***",
        "headers": {"User-Agent": "CRM/1.0"},
    }
    assert scrubbed["breadcrumbs"]["values"][0]["message"] == "GET /update/download/***"


def test_with_a_dsn_errors_reach_sentry_scrubbed():
    """A process started with SENTRY_DSN sends its events (to a local receiver standing in
    for Sentry), without the credentials of the request."""
    receiver, server = start_receiver()
    port = server.server_address[1]
    code = (
        "import django, sentry_sdk\n"
        "django.setup()\n"
        "sentry_sdk.get_isolation_scope().add_event_processor(lambda e, h: {**e, 'request': "
        "{'url': 'http://x/api/license/validate?key=AAAA-BBBB', 'query_string': 'key=AAAA-BBBB',"
        " 'headers': {'Authorization': 'Bearer device-token'}}})\n"
        "sentry_sdk.capture_message('boom from a test')\n"
        "sentry_sdk.flush(10)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/42",
    }
    try:
        subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60
        )
    finally:
        server.shutdown()
        server.server_close()
    bodies = b"".join(  # envelopes are gzipped
        gzip.decompress(r.body) if r.body[:2] == b"\x1f\x8b" else r.body for r in receiver.requests
    )
    assert b"boom from a test" in bodies
    assert b"AAAA-BBBB" not in bodies and b"device-token" not in bodies
