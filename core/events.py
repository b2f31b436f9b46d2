"""`publish()` records an event, and one webhook delivery per subscribed endpoint, in the
caller's transaction: if the change rolls back, so does its event, and nothing is lost if
a broker is down (the deliveries wait in the database for a worker or the sweep)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction


def actor_label(actor) -> str:
    """Who acted, as the log keeps it even after the user is gone: a username, or
    "system" for tasks, devices and commands run without a user."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return actor.get_username()


def publish(event_type: str, *, tenant=None, payload: dict | None = None, actor=None):
    """Record `event_type` for `tenant` with `payload`, done by `actor` (a user, or None
    for the system, a device or a task)."""
    from .models import Event

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
        from .webhooks import deliveries_for_event

        deliveries_for_event(event)
    return event
