import ast
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.event_types import EVENT_TYPES
from core.models import Event
from core.services import events
from licensing.tests.factories import LicenseFactory, TenantFactory
from licensing.tests.tenancy import staff_of
from webhooks import services as webhooks
from webhooks import transport
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.receiver import start_receiver

pytestmark = pytest.mark.django_db
M = "/api/v1/manage"


@pytest.fixture
def receiver(settings):
    # The receiver listens on loopback.
    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def _endpoint(url, **kwargs):
    return webhooks.endpoint_create(url=url, **kwargs)


def _publish(django_capture_on_commit_callbacks, event_type="license.suspended", tenant=None):
    with django_capture_on_commit_callbacks(execute=True):
        return events.publish(event_type, tenant=tenant, payload={"licenseId": "x"})


def test_a_delivery_is_signed_as_standard_webhooks_verify_it(
    receiver, django_capture_on_commit_callbacks
):
    tenant = TenantFactory()
    created = _endpoint(receiver.url, tenant=tenant, event_types=["license.*"])
    event = _publish(django_capture_on_commit_callbacks, tenant=tenant)
    (received,) = receiver.requests
    body = received.body.decode()
    payload = Webhook(created.secret).verify(body, received.headers)
    assert payload["type"] == "license.suspended"
    assert payload["data"]["eventId"] == str(event.pk)
    assert payload["data"]["tenantId"] == str(tenant.pk)
    delivery = WebhookDelivery.objects.get()
    assert received.headers["webhook-id"] == delivery.webhook_id
    assert delivery.status == "succeeded" and delivery.response_status == 200
    assert len(delivery.response_body) == 4096  # capped
    with pytest.raises(WebhookVerificationError):  # one byte changed
        Webhook(created.secret).verify(body.replace("suspended", "suspendeD"), received.headers)
    stale = dict(
        received.headers, **{"webhook-timestamp": str(int(timezone.now().timestamp()) - 600)}
    )
    with pytest.raises(WebhookVerificationError):  # ten minutes off
        Webhook(created.secret).verify(body, stale)


def test_filters_and_tenants_choose_the_endpoints(receiver, django_capture_on_commit_callbacks):
    ours, theirs = TenantFactory(), TenantFactory()
    licenses = _endpoint(receiver.url, tenant=ours, event_types=["license.*"]).endpoint
    devices = _endpoint(receiver.url, tenant=ours, event_types=["device.registered"]).endpoint
    platform = _endpoint(receiver.url).endpoint  # every tenant, every event
    _publish(django_capture_on_commit_callbacks, "license.revoked", tenant=ours)
    _publish(django_capture_on_commit_callbacks, "license.revoked", tenant=theirs)
    by_endpoint = {
        e.pk: WebhookDelivery.objects.filter(endpoint=e, event__type="license.revoked").count()
        for e in (licenses, devices, platform)
    }
    assert by_endpoint == {licenses.pk: 1, devices.pk: 0, platform.pk: 2}


def test_unknown_event_types_and_unsafe_urls_are_refused_through_the_api(platform_client, settings):
    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = []
    response = platform_client.post(
        f"{M}/webhook-endpoints/",
        {"url": "https://hooks.example/", "event_types": ["license.*", "licence.created"]},
        format="json",
    )
    assert response.status_code == 400
    for url in ("file:///etc/passwd", "not a url", "ftp://example.com/x", "http://10.0.0.1/"):
        response = platform_client.post(f"{M}/webhook-endpoints/", {"url": url}, format="json")
        assert response.status_code == 400 and "code" in response.json(), url
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0x7f000001/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost:8000/hook",
        "http://192.168.1.10/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1/x",
        "http://user:pw@8.8.8.8/hook",
        "http://[2002:7f00:1::]/hook",  # 6to4 carrying 127.0.0.1
        "http://[2002:a9fe:a9fe::]/hook",  # 6to4 carrying 169.254.169.254
        "http://[fec0::1]/hook",  # site-local
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
    ],
)
def test_private_and_odd_targets_are_refused(url):
    with pytest.raises(transport.UnsafeTarget):
        transport.resolve(url, allowed_networks=[])


def test_a_public_address_is_accepted_and_pinned():
    target = transport.resolve("https://8.8.8.8:8443/hook?x=1", allowed_networks=[])
    assert (target.address, target.port, target.path, target.host) == (
        "8.8.8.8",
        8443,
        "/hook?x=1",
        "8.8.8.8",
    )


def test_targets_are_checked_again_at_send(receiver, settings):
    created = _endpoint(receiver.url)  # accepted while loopback was a declared network
    events.publish("license.revoked", payload={})
    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = []
    webhooks.endpoint_flush(endpoint_id=created.endpoint.pk)
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == [] and delivery.error.startswith("UNSAFE_URL")
    assert delivery.status == "pending" and delivery.attempts == 1


def test_a_redirect_is_not_followed(receiver):
    receiver.answer((302, {"location": "http://127.0.0.1:1/elsewhere"}))
    created = _endpoint(receiver.url)
    events.publish("license.revoked", payload={})
    webhooks.endpoint_flush(endpoint_id=created.endpoint.pk)
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status == 302 and delivery.status == "pending"


def test_retry_schedule_then_give_up(receiver):
    receiver.answer(500)
    endpoint = _endpoint(receiver.url).endpoint
    events.publish("license.revoked", payload={})
    now = timezone.now()
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for attempt, delay in enumerate(expected, start=1):
        webhooks.endpoint_flush(endpoint_id=endpoint.pk, now=now)
        delivery = WebhookDelivery.objects.get()
        assert delivery.attempts == attempt and delivery.status == "pending"
        waited = (delivery.next_attempt_at - now).total_seconds()
        assert delay * 0.9 <= waited <= delay * 1.1, (attempt, waited)
        webhooks.endpoint_flush(endpoint_id=endpoint.pk, now=now)  # not due yet: no send
        assert len(receiver.requests) == attempt
        now = delivery.next_attempt_at
    webhooks.endpoint_flush(endpoint_id=endpoint.pk, now=now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 8
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.webhook_id}


def test_a_410_disables_the_endpoint_at_once(receiver):
    receiver.answer(410)
    endpoint = _endpoint(receiver.url).endpoint
    events.publish("license.revoked", payload={})
    webhooks.endpoint_flush(endpoint_id=endpoint.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get(event__type="license.revoked").status == "failed"
    assert Event.objects.filter(type="endpoint.disabled").exists()


def test_five_days_without_success_disable_and_emit_endpoint_disabled(receiver):
    receiver.answer(503)
    failing = _endpoint(receiver.url).endpoint
    watcher = _endpoint(receiver.url, event_types=["endpoint.disabled"]).endpoint
    events.publish("license.revoked", payload={})
    start = timezone.now()
    webhooks.endpoint_flush(endpoint_id=failing.pk, now=start)
    failing.refresh_from_db()
    assert failing.is_active and failing.failing_since == start
    WebhookDelivery.objects.filter(endpoint=failing).update(next_attempt_at=start)
    webhooks.endpoint_flush(endpoint_id=failing.pk, now=start + timedelta(days=5, seconds=1))
    failing.refresh_from_db()
    assert not failing.is_active
    disabled = Event.objects.get(type="endpoint.disabled")
    assert disabled.payload["endpointId"] == str(failing.pk)
    assert WebhookDelivery.objects.filter(endpoint=watcher, event=disabled).exists()


def test_deliveries_go_out_in_event_order_per_endpoint(receiver):
    receiver.answer(500, 200)
    endpoint = _endpoint(receiver.url).endpoint
    first = events.publish("license.suspended", payload={"n": 1})
    second = events.publish("license.reinstated", payload={"n": 2})
    now = timezone.now()
    webhooks.endpoint_flush(endpoint_id=endpoint.pk, now=now)
    assert len(receiver.requests) == 1  # the second waits behind the failed first
    webhooks.endpoint_flush(endpoint_id=endpoint.pk, now=now + timedelta(seconds=6))
    sent = [json.loads(r.body)["data"]["eventId"] for r in receiver.requests]
    assert sent == [str(first.pk), str(first.pk), str(second.pk)]


def test_rotation_signs_with_both_secrets_during_the_overlap(
    receiver, django_capture_on_commit_callbacks
):
    created = _endpoint(receiver.url)
    new_secret = webhooks.endpoint_rotate_secret(webhookendpoint=created.endpoint)
    _publish(django_capture_on_commit_callbacks)
    received = receiver.requests[-1]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (created.secret, new_secret):
        Webhook(secret).verify(received.body.decode(), received.headers)


def test_published_while_the_broker_is_down_nothing_is_lost(
    receiver, django_capture_on_commit_callbacks
):
    """The after-commit queuing fails (broker down): the request goes on, the delivery
    waits in the database, and the beat sweep sends it once the broker is back."""
    from config.celery import app

    created = _endpoint(receiver.url)
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    app._pool = None  # connections to the closed port from here on
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = events.publish("license.revoked", payload={})
    finally:
        app.conf.update(saved)
        app._pool = None
    assert receiver.requests == []
    assert WebhookDelivery.objects.get(event=event).status == "pending"
    assert webhooks.deliveries_sweep() == 1  # eager again: the flush runs here
    assert WebhookDelivery.objects.get(event=event).status == "succeeded"
    assert created.endpoint.pk and len(receiver.requests) == 1


def test_api_secret_shown_once_and_tenant_staff_manage_their_own(receiver):
    tenant, other = TenantFactory(), TenantFactory()
    foreign = _endpoint(receiver.url, tenant=other).endpoint
    platform = _endpoint(receiver.url).endpoint
    api = APIClient()
    api.force_authenticate(staff_of(tenant, WebhookEndpoint))
    response = api.post(
        f"{M}/webhook-endpoints/",
        {"url": receiver.url, "event_types": ["device.*"], "tenant": str(other.pk)},
        format="json",
    )
    assert response.status_code == 400  # another tenant's id: like an unknown one
    response = api.post(
        f"{M}/webhook-endpoints/", {"url": receiver.url, "event_types": ["device.*"]}, format="json"
    )
    assert response.status_code == 201 and response.json()["secret"].startswith("whsec_")
    endpoint_id = response.json()["id"]
    assert response.json()["tenant"] == str(tenant.pk)
    listed = {row["id"] for row in api.get(f"{M}/webhook-endpoints/").json()["results"]}
    assert listed == {endpoint_id}  # neither the foreign nor the platform-wide one
    detail = api.get(f"{M}/webhook-endpoints/{endpoint_id}/").json()
    assert "secret" not in detail
    for hidden in (foreign.pk, platform.pk):
        assert api.get(f"{M}/webhook-endpoints/{hidden}/").status_code == 404
    rotated = api.post(f"{M}/webhook-endpoints/{endpoint_id}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    test = api.post(f"{M}/webhook-endpoints/{endpoint_id}/test/")
    assert test.status_code == 202 and test.json()["event_type"] == "webhook.test"


def test_admin_redeliver_and_test_actions(
    receiver, admin_client, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(receiver.url).endpoint
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/webhooks/webhookendpoint/",
            {"action": "send_test", "_selected_action": [endpoint.pk]},
        )
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and len(receiver.requests) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert "1 delivery(ies) queued again." in response.content.decode()
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "xxxx" in page.content.decode()


APPS = [
    "core",
    "licensing",
    "devices",
    "releases",
    "telemetry",
    "webhooks",
    "commands",
    "documents",
    "realtime",
]


def test_every_published_type_is_documented():
    """Each literal `publish("<type>", …)` outside tests names a type of EVENT_TYPES."""
    root = Path(__file__).resolve().parents[2]
    missing = []
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "tests" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", getattr(node.func, "id", "")) == "publish"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value not in EVENT_TYPES
                ):
                    missing.append(f"{path.relative_to(root)}: {node.args[0].value}")
    assert missing == []


def test_the_license_flow_reaches_a_subscribed_endpoint(
    receiver, django_capture_on_commit_callbacks, platform_client
):
    license = LicenseFactory()
    _endpoint(receiver.url, tenant=license.tenant, event_types=["license.suspended"])
    with django_capture_on_commit_callbacks(execute=True):
        response = platform_client.post(f"{M}/licenses/{license.pk}/suspend/")
    assert response.status_code == 200
    (received,) = receiver.requests
    body = json.loads(received.body)
    assert body["type"] == "license.suspended"
    assert body["data"]["licenseId"] == str(license.pk)


def test_the_request_connects_to_the_checked_address_not_a_second_lookup(receiver, monkeypatch):
    """DNS rebinding: the name resolves to the receiver when checked, then elsewhere."""
    import socket

    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    answers = iter(["127.0.0.1"] + ["10.255.255.1"] * 10)
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            address = next(answers)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    target = transport.resolve(f"http://rebind.test:{port}/hooks")
    response = transport.post(target, b"{}", {}, max_body=100)
    assert response.status == 200 and len(receiver.requests) == 1
    assert receiver.requests[0].headers["Host"] == f"rebind.test:{port}"


def test_a_receiver_that_drips_is_cut_at_the_send_deadline(monkeypatch):
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def drip():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
        try:
            for _ in range(100):
                conn.sendall(b"x")
                time.sleep(0.2)
        except OSError:
            pass
        conn.close()

    threading.Thread(target=drip, daemon=True).start()
    monkeypatch.setattr(transport, "send_deadline", lambda: 1.0)
    target = transport.resolve(f"http://127.0.0.1:{server.getsockname()[1]}/")
    started = time.monotonic()
    response = transport.post(target, b"{}", {}, max_body=4096)
    assert time.monotonic() - started < 3
    assert "deadline" in response.error
    server.close()


def test_an_unexpected_failure_is_a_failed_attempt_not_a_stuck_queue(receiver, monkeypatch):
    endpoint = _endpoint(receiver.url).endpoint
    events.publish("license.revoked", payload={})

    def broken(*args, **kwargs):
        raise UnicodeEncodeError("ascii", "例", 0, 1, "boom")

    monkeypatch.setattr(transport, "post", broken)
    webhooks.endpoint_flush(endpoint_id=endpoint.pk)
    delivery = WebhookDelivery.objects.get(event__type="license.revoked")
    assert delivery.attempts == 1 and delivery.status == "pending"
    assert delivery.error.startswith("UnicodeEncodeError")
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.sending_token is None


def test_one_sender_per_endpoint(receiver):
    """A second flush while the first holds the lease sends nothing; an expired lease
    (a dead worker) is taken over."""
    import uuid

    endpoint = _endpoint(receiver.url).endpoint
    events.publish("license.revoked", payload={})
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        sending_token=uuid.uuid4(), sending_until=now + timedelta(minutes=1)
    )
    assert webhooks.endpoint_flush(endpoint_id=endpoint.pk) == 0 and receiver.requests == []
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(sending_until=now - timedelta(seconds=1))
    assert webhooks.endpoint_flush(endpoint_id=endpoint.pk) == 1


@pytest.mark.parametrize("event_types", [5, "license.*", [1], [None], {"a": 1}])
def test_event_types_must_be_a_list_of_strings(event_types):
    from core.exceptions import ApiError

    with pytest.raises(ApiError) as refused:
        webhooks.endpoint_create(url="http://127.0.0.1:9/", event_types=event_types)
    assert refused.value.code == "INVALID_EVENT_TYPES"
    assert not WebhookEndpoint.objects.exists()


def test_a_broker_that_accepts_but_never_answers_costs_one_short_timeout(settings):
    """Redis paused or a dead backend behind a proxy: the connection opens, nothing comes
    back. The request pays RELAIS_BROKER_CONNECT_TIMEOUT once; later sends are skipped."""
    import socket
    import time

    from config.celery import app
    from core import tasks
    from webhooks.tasks import webhook_endpoint_flush_task

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    settings.RELAIS_BROKER_CONNECT_TIMEOUT = 0.5
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.update(
        task_always_eager=False, broker_url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    )
    app._pool = None
    tasks._down_until = 0.0
    try:
        started = time.monotonic()
        assert tasks.queue_now(webhook_endpoint_flush_task, "x") is False
        first = time.monotonic() - started
        started = time.monotonic()
        assert tasks.queue_now(webhook_endpoint_flush_task, "y") is False
        second = time.monotonic() - started
    finally:
        app.conf.update(saved)
        app._pool = None
        tasks._down_until = 0.0
        silent.close()
    assert first < 3, first
    assert second < 0.05, second
