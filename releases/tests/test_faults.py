"""Node routes under faults: the broker down (nothing is queued, nothing waits on it), the
cache down (logged, the answer is the same)."""

from unittest import mock

import pytest
from django.test import override_settings

from devices.services.devices import device_contacts_flush
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def node(api_client, local_storage):
    product = ProductFactory()
    device = DeviceFactory(license__policy__product=product, platform="", app_version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    return device, release


def _node_routes(client, device, release):
    """Every node route a device calls, in the order of an update; (name, response)."""
    key, token = device.license.key, device.token
    artifact = release.artifacts.get()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    by_key = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    hw = device.hardware_id
    yield "ping", client.get("/api/v1/ping", **bearer)
    yield "validate", client.post("/api/v1/licenses/validate", {"key": key}, format="json")
    register = {"hardwareId": hw, "machineName": "PC", "osVersion": "Windows 10 22H2"}
    yield "register", client.post("/api/v1/updates/register-device", register, **by_key)
    check = client.get("/api/v1/updates/check", {"version": "1.0.0"}, **bearer)
    yield "check by token", check
    query = {"version": "1.0.0", "hardwareId": hw, "osVersion": "Windows 10"}
    yield "check by key", client.get("/api/v1/updates/check", query, **by_key)
    session = check.json()["sessionId"]
    report = {"sessionId": session, "status": "DOWNLOADING", "downloadPercent": 10}
    yield "status", client.post("/api/v1/updates/status", report, format="json", **by_key)
    yield "download", client.get(f"/api/v1/updates/download/{artifact.pk}", **by_key)
    tenant = device.tenant_id
    yield "cs validate", client.get("/api/license/validate", {"key": key})
    yield "cs check", client.get("/update/check", {"tenantId": tenant, "version": "1.0.0"})


@pytest.fixture
def broker_down():
    """The Celery app pointed at a closed port, really sending (not eager), without retries;
    and any task queued at all is recorded."""
    from celery.app.task import Task

    from config.celery import app

    keys = ("broker_url", "task_always_eager", "task_publish_retry", "broker_connection_timeout")
    saved = {k: app.conf[k] for k in keys}
    app.conf.update(
        broker_url=CLOSED,
        task_always_eager=False,
        task_publish_retry=False,
        broker_connection_timeout=1,
    )
    app._pool = None
    queued = []
    real = Task.apply_async

    def record(self, *args, **kwargs):
        queued.append(self.name)
        return real(self, *args, **kwargs)

    with (
        override_settings(CELERY_BROKER_URL=CLOSED, CELERY_TASK_ALWAYS_EAGER=False),
        mock.patch.object(Task, "apply_async", record),
    ):
        yield queued
    app.conf.update(saved)
    app._pool = None


def test_every_node_route_answers_with_the_broker_down(
    api_client, node, broker_down, local_storage, django_capture_on_commit_callbacks, settings
):
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    endpoint_create(url="http://127.0.0.1:9/hooks")  # every event, every tenant
    device, release = node
    with django_capture_on_commit_callbacks(execute=True):  # as after a real commit
        answers = dict(_node_routes(api_client, device, release))
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "ping": 200,
        "validate": 200,
        "register": 200,
        "check by token": 200,
        "check by key": 200,
        "status": 200,
        "download": 200,
        "cs validate": 200,
        "cs check": 200,
    }
    assert answers["check by token"].json()["updateAvailable"] is True
    assert broker_down == []  # no task queued by any node route
    # The status report's event waits in the outbox for the sweep.
    assert WebhookDelivery.objects.filter(event__type="update.downloading").exists()
    # The contacts wait in the cache for the beat flush.
    assert device_contacts_flush() >= 0


@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED}
    }
)
def test_every_node_route_answers_with_the_cache_down(api_client, node, local_storage, caplog):
    device, release = node
    answers = dict(_node_routes(api_client, device, release))
    statuses = {name: response.status_code for name, response in answers.items()}
    assert set(statuses.values()) == {200}, statuses
    assert answers["check by key"].json()["version"] == "1.1.0"
    assert "cache unavailable" in caplog.text


@pytest.fixture
def hanging_redis():
    """A port that accepts connections (the kernel's backlog) and never answers: Redis
    stuck, or a network dropping its replies."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def test_every_node_route_answers_with_the_cache_hanging(
    api_client, node, local_storage, caplog, hanging_redis
):
    """Each cache operation gives up after RELAIS_CACHE_TIMEOUT (here 0.2 s): slower, not
    stuck, and the same answers as with the cache down."""

    cache = {
        "BACKEND": "core.cache.ProcessRedisCache",
        "LOCATION": hanging_redis,
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    device, release = node
    with override_settings(CACHES={"default": cache}):
        answers = dict(_node_routes(api_client, device, release))
    statuses = {name: response.status_code for name, response in answers.items()}
    assert set(statuses.values()) == {200}, statuses
    assert answers["check by key"].json()["version"] == "1.1.0"
    assert "cache unavailable" in caplog.text
    assert "Timeout" in caplog.text  # freed by the timeout: without it, no return at all
