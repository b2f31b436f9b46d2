"""`publish()` records an event in the caller's transaction: if the change rolls back,
so does its event, and nothing is lost if a broker is down."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction


def publish(event_type: str, *, tenant=None, payload: dict | None = None):
    from .models import Event

    # Round-trip through the JSON encoder so UUIDs and datetimes are stored as strings.
    clean = json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        return Event.objects.create(type=event_type, tenant=tenant, payload=clean)
