"""Events worth a person's attention become notifications in the publishing transaction
(an outbox, as webhooks' deliveries): what rolls back is never mailed, and nothing waits
on a mail server. One INSERT for such an event, nothing for the others."""

from core.models import Event

from ..models import EVENT_KINDS, Notification


def notification_from_event(event: Event) -> None:
    kind = EVENT_KINDS.get(event.type)
    if kind is None:
        return
    Notification.objects.create(
        tenant_id=event.tenant_id,
        kind=kind,
        event_type=event.type,
        payload=event.payload,
        created_at=event.created_at,
    )
