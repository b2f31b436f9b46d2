"""Reads of webhooks."""

from django.db.models import Q

from core.event_types import matches
from core.models import Event

from .models import WebhookEndpoint


def endpoints_subscribed(event: Event) -> list[WebhookEndpoint]:
    """The active endpoints that want `event`: its tenant's and the platform-wide ones whose
    patterns match its type, except the endpoint an `endpoint.*` event is about."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(tenant__isnull=True) | Q(tenant_id=event.tenant_id)
    )
    about = event.payload.get("endpointId") if event.type.startswith("endpoint.") else None
    return [
        e
        for e in endpoints.only("id", "event_types")
        if matches(e.event_types, event.type) and str(e.pk) != about  # not about itself
    ]
