"""Webhooks (Standard Webhooks): endpoints, and the deliveries that carry events to them.

`core.services.events.publish` calls `deliveries_for_event` (subscribed in WebhooksConfig.ready()),
which writes one delivery per subscribed endpoint in the caller's transaction (the outbox)
and, after commit, asks for the endpoint's queue to be sent; a beat sweep
sends whatever is due, so nothing published while the broker was down is lost. An
endpoint's deliveries go out in event order: the oldest unfinished one blocks the ones
after it until it succeeds or its retries run out (at least once, `webhook-id` stable).
"""

import base64
import json
import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from core.event_types import unknown_patterns
from core.exceptions import ApiError
from core.models import Event
from core.services import events
from core.services.changes import model_update

from . import transport
from .models import WebhookDelivery, WebhookEndpoint
from .selectors import endpoints_subscribed

logger = logging.getLogger(__name__)

# Standard Webhooks' schedule: the n-th retry waits RETRY_DELAYS[n - 1], ±10 % jitter.
RETRY_DELAYS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
DISABLE_AFTER = timedelta(days=5)  # failing without a success this long disables
FLUSH_BATCH = 50  # deliveries one flush sends before handing over


def secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _payload(endpoint: WebhookEndpoint, **extra) -> dict:
    return {"endpointId": endpoint.pk, "url": endpoint.url} | extra


def _check_filters(event_types) -> list[str]:
    if not isinstance(event_types, list | tuple) or not all(
        isinstance(t, str) for t in event_types
    ):
        raise ApiError(
            "INVALID_EVENT_TYPES", _('Event types are a list of strings, e.g. ["license.*"].'), 400
        )
    bad = unknown_patterns(event_types)
    if bad:
        raise ApiError(
            "UNKNOWN_EVENT_TYPE",
            _("Unknown event types: %(types)s") % {"types": ", ".join(bad)},
            400,
            unknown=bad,
        )
    return list(event_types)


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@transaction.atomic
def endpoint_create(
    *, actor=None, url: str, tenant=None, event_types=(), description: str = ""
) -> CreatedEndpoint:
    transport.resolve(url)
    endpoint = WebhookEndpoint(
        tenant=tenant,
        url=url,
        event_types=_check_filters(event_types),
        description=description,
        secret=secret_generate(),
    )
    endpoint.full_clean()
    endpoint.save()
    events.publish("endpoint.created", tenant=tenant, payload=_payload(endpoint), actor=actor)
    return CreatedEndpoint(endpoint, endpoint.secret)


ENDPOINT_EDITABLE = {"url", "event_types", "description"}


@transaction.atomic
def endpoint_update(*, webhookendpoint: WebhookEndpoint, actor=None, **changes):
    endpoint = webhookendpoint
    if "url" in changes:
        transport.resolve(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _check_filters(changes["event_types"])
    _, changed = model_update(endpoint, editable=ENDPOINT_EDITABLE, changes=changes)
    if changed:
        payload = _payload(endpoint, changed=changed)
        events.publish("endpoint.updated", tenant=endpoint.tenant, payload=payload, actor=actor)
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, webhookendpoint: WebhookEndpoint, actor=None) -> str:
    """A new secret; the old one still signs (a second signature) for the overlap."""
    endpoint = webhookendpoint
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + timedelta(
        seconds=settings.RELAIS_WEBHOOK_SECRET_OVERLAP_SECONDS
    )
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    events.publish(
        "endpoint.secret_rotated", tenant=endpoint.tenant, payload=_payload(endpoint), actor=actor
    )
    return endpoint.secret


@transaction.atomic
def endpoint_enable(*, webhookendpoint: WebhookEndpoint, actor=None) -> WebhookEndpoint:
    endpoint = webhookendpoint
    if endpoint.is_active:
        return endpoint
    endpoint.is_active = True
    endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "failing_since"])
    events.publish(
        "endpoint.enabled", tenant=endpoint.tenant, payload=_payload(endpoint), actor=actor
    )
    _queue_flush(endpoint.pk)
    return endpoint


@transaction.atomic
def endpoint_disable(
    *, webhookendpoint: WebhookEndpoint, actor=None, reason: str = ""
) -> WebhookEndpoint:
    endpoint = webhookendpoint
    if not endpoint.is_active:
        return endpoint
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason or _("Disabled by staff.")
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    events.publish(
        "endpoint.disabled",
        tenant=endpoint.tenant,
        payload=_payload(endpoint, reason=endpoint.disabled_reason),
        actor=actor,
    )
    return endpoint


def endpoint_send_test(*, webhookendpoint: WebhookEndpoint, actor=None) -> WebhookDelivery:
    """Queue a `webhook.test` event to this endpoint only, whatever its filters."""
    endpoint = webhookendpoint
    with transaction.atomic():
        event = Event.objects.create(
            type="webhook.test",
            tenant=endpoint.tenant,
            payload={"endpointId": str(endpoint.pk), "message": "Test event from Relais."},
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=events.actor_label(actor),
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, created_at=event.created_at
        )
        _queue_flush(endpoint.pk)
    return delivery


@transaction.atomic
def delivery_redeliver(*, webhookdelivery: WebhookDelivery, actor=None) -> WebhookDelivery:
    """Send again (same `webhook-id`), now: a finished delivery is reopened."""
    delivery = webhookdelivery
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    endpoint = delivery.endpoint
    events.publish(
        "endpoint.redelivered",
        tenant=endpoint.tenant,
        payload=_payload(endpoint, deliveryId=delivery.pk, eventId=delivery.event_id),
        actor=actor,
    )
    _queue_flush(delivery.endpoint_id)
    return delivery


# --- The outbox ---------------------------------------------------------------------------


def deliveries_for_event(event: Event) -> int:
    """Write one delivery per active endpoint that wants `event` (in the caller's
    transaction); the endpoints' queues are flushed after commit."""
    wanted = endpoints_subscribed(event)
    if not wanted:
        return 0
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, created_at=event.created_at) for e in wanted]
    )
    for endpoint in wanted:
        _queue_flush(endpoint.pk)
    return len(wanted)


def _queue_flush(endpoint_id) -> None:
    """After commit, ask a worker to send the endpoint's queue. Never raises nor waits
    for a broker that is down: the sweep sends what this could not queue."""
    from core.tasks import queue_after_commit

    from .tasks import webhook_endpoint_flush_task

    queue_after_commit(webhook_endpoint_flush_task, str(endpoint_id))


def deliveries_sweep(*, now=None) -> int:
    """Beat: queue a flush for every active endpoint with a delivery due."""
    from core.tasks import queue_now

    from .tasks import webhook_endpoint_flush_task

    now = now or timezone.now()
    due = (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    endpoint_ids = list(due)
    for endpoint_id in endpoint_ids:
        queue_now(webhook_endpoint_flush_task, str(endpoint_id))
    return len(endpoint_ids)


# --- Sending ------------------------------------------------------------------------------


def _body(event: Event) -> str:
    data = dict(event.payload) | {"eventId": str(event.pk)}
    if event.tenant_id:
        data["tenantId"] = str(event.tenant_id)
    body = {"type": event.type, "timestamp": event.created_at, "data": data}
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"))


def signature_headers(endpoint: WebhookEndpoint, msg_id: str, body: str, *, now=None) -> dict:
    """Standard Webhooks headers; during a rotation's overlap, signed with both keys."""
    now = now or timezone.now()
    keys = [endpoint.secret]
    if endpoint.previous_secret and (endpoint.previous_secret_until or now) > now:
        keys.append(endpoint.previous_secret)
    signatures = [Webhook(key).sign(msg_id, now, body) for key in keys]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "Relais-Webhooks/1.0",
    }


def _next_retry(attempts: int, now):
    """When the next attempt is due after `attempts` failed ones; None when none is left."""
    if attempts > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[attempts - 1].total_seconds()
    return now + timedelta(seconds=delay * random.uniform(0.9, 1.1))  # noqa: S311


def _attempt(delivery: WebhookDelivery, now) -> bool:
    """Send one delivery and record the outcome; True when it succeeded."""
    endpoint = delivery.endpoint
    body = _body(delivery.event)
    response = None
    try:
        target = transport.resolve(endpoint.url)  # checked again at each send
        headers = signature_headers(endpoint, delivery.webhook_id, body, now=now)
        response = transport.post(
            target,
            body.encode(),
            headers,
            max_body=settings.RELAIS_WEBHOOK_MAX_RESPONSE_BYTES,
        )
        status, error = response.status, response.error
    except ApiError as exc:
        status, error = None, f"{exc.code}: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - whatever it was, it is a failed attempt
        logger.exception("Webhook delivery %s failed unexpectedly", delivery.pk)
        status, error = None, f"{type(exc).__name__}: {exc}"
    attempted = delivery.attempts
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = status
    delivery.response_body = response.body if response else ""
    delivery.duration_ms = response.duration_ms if response else None
    delivery.error = error[:500]
    ok = status is not None and 200 <= status < 300
    if ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        endpoint.last_success_at, endpoint.failing_since = now, None
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            last_success_at=now, failing_since=None
        )
    else:
        retry = None if status == 410 else _next_retry(delivery.attempts, now)
        if retry is None:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = retry
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=now
            )
        if status == 410:
            endpoint_disable(webhookendpoint=endpoint, reason=_("The endpoint answered 410 Gone."))
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            endpoint_disable(webhookendpoint=endpoint, reason=_("No success for 5 days."))
    # Written only if nobody else recorded an attempt meanwhile (a redelivery, or another
    # sender after a lost lease): an outcome never overwrites a newer one.
    fields = [
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_status",
        "response_body",
        "duration_ms",
        "error",
    ]
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempted).update(
        **{name: getattr(delivery, name) for name in fields}
    )
    return ok


def _lease_seconds() -> float:
    return transport.send_deadline() + 30


def _claim(endpoint_id, token, now) -> bool:
    """Take (or extend) the endpoint's sending lease: one sender per endpoint, so two
    workers never reorder nor double-send a queue. A conditional UPDATE: atomic on every
    database; a lease that outlived a dead worker expires."""
    until = now + timedelta(seconds=_lease_seconds())
    free = Q(sending_token__isnull=True) | Q(sending_until__lt=now) | Q(sending_token=token)
    claimed = WebhookEndpoint.objects.filter(free, pk=endpoint_id).update(
        sending_token=token, sending_until=until
    )
    return bool(claimed)


def endpoint_flush(*, endpoint_id, now=None) -> int:
    """Send an endpoint's due deliveries in event order, stopping at the first one that is
    not due or fails (it blocks the rest until it succeeds or gives up)."""
    token = uuid.uuid4()
    if not _claim(endpoint_id, token, timezone.now()):
        return 0
    sent = 0
    try:
        for _step in range(FLUSH_BATCH):
            now_ = now or timezone.now()
            if not _claim(endpoint_id, token, timezone.now()):  # renewed before each send
                return sent
            head = (
                WebhookDelivery.objects.select_related("event", "endpoint")
                .filter(endpoint_id=endpoint_id, status=WebhookDelivery.Status.PENDING)
                .order_by("created_at", "id")
                .first()
            )
            if head is None or not head.endpoint.is_active or head.next_attempt_at > now_:
                return sent
            if not _attempt(head, now_):
                return sent
            sent += 1
    finally:
        WebhookEndpoint.objects.filter(pk=endpoint_id, sending_token=token).update(
            sending_token=None, sending_until=None
        )
    _queue_flush(endpoint_id)  # more than a batch: hand over to another run
    return sent
