"""`publish()` records an event in the caller's transaction and hands it to the subscribers
the apps registered in their `AppConfig.ready()` (webhooks write one delivery per endpoint,
realtime queues its pushes): if the change rolls back, so does its event and whatever the
subscribers wrote, and nothing is lost if a broker is down (deliveries wait in the database
for a worker or the sweep). core imports no app: the apps that react come to it."""

import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from ..models import Event

Subscriber = Callable[[Event], object]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Subscriber:
    """Call `subscriber(event)` for every event published from now on, inside the
    publishing transaction. Registering the same function twice keeps one registration
    (`ready()` may run more than once in tests)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def actor_label(actor) -> str:
    """Who acted, as the log keeps it even after the user is gone: a username, or
    "system" for tasks, devices and commands run without a user."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return actor.get_username()


def publish(event_type: str, *, tenant=None, payload: dict | None = None, actor=None) -> Event:
    """Record `event_type` for `tenant` with `payload`, done by `actor` (a user, or None
    for the system, a device or a task)."""
    # Round-trip through the JSON encoder so UUIDs and datetimes are stored as strings.
    clean = json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        event = Event.objects.create(
            type=event_type,
            tenant=tenant,
            payload=clean,
            actor=user if getattr(user, "pk", None) else None,
            actor_label=actor_label(user),
        )
        for subscriber in _subscribers:
            subscriber(event)
    return event
