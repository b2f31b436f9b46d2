"""Celery for real: a worker with embedded beat delivers webhooks to a local receiver,
both the event queued after commit and the one whose queuing failed (broker down), which
the beat sweep picks up."""

import time

import pytest
from django.conf import settings

from core.services import events
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


def _wait_for(condition, process, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return
        time.sleep(0.3)
    assert process.poll() is None, f"worker died:\n{log.read_text()}"
    assert condition(), log.read_text()


def test_worker_and_beat_deliver_webhooks(start_worker, receiver, worker_broker, monkeypatch):
    loopback = ["127.0.0.0/8", "::1/128"]  # the receiver's
    process, log = start_worker(
        RELAIS_WEBHOOK_ALLOWED_NETWORKS=",".join(loopback), RELAIS_WEBHOOK_SWEEP_SECONDS="1"
    )
    monkeypatch.setattr(settings, "RELAIS_WEBHOOK_ALLOWED_NETWORKS", loopback)
    created = webhooks.endpoint_create(url=receiver.url, event_types=["license.*"])
    queued = events.publish("license.suspended", payload={"n": 1})  # queued after commit
    with monkeypatch.context() as down:
        down.setattr("core.tasks.queue_now", lambda task, *args: False)  # broker down
        swept = events.publish("license.reinstated", payload={"n": 2})

    def delivered():
        return WebhookDelivery.objects.filter(status="succeeded").count() == 2

    _wait_for(delivered, process, log)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    expected = [WebhookDelivery.objects.get(event=event).webhook_id for event in (queued, swept)]
    assert ids == expected  # in event order
    assert created.endpoint.pk
    output = log.read_text()
    assert "webhook_endpoint_flush_task" in output
