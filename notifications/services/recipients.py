"""Recipients: added, changed and removed by staff; unsubscribed by the person, through the
signed link of every digest (which staff cannot undo)."""

from django.core import signing
from django.db import transaction
from django.utils import timezone

from core.services import events
from core.services.changes import model_update

from ..models import Recipient

UNSUBSCRIBE_SALT = "relais.notifications.unsubscribe"
RECIPIENT_EDITABLE = {"email", "name", "kinds", "is_active"}


def _payload(recipient: Recipient) -> dict:
    return {"recipientId": recipient.pk, "kinds": recipient.kinds, "isActive": recipient.is_active}


@transaction.atomic
def recipient_create(
    *,
    actor=None,
    tenant=None,
    email: str,
    name: str = "",
    kinds: list[str] | None = None,
    is_active: bool = True,
) -> Recipient:
    recipient = Recipient(tenant=tenant, email=email, name=name, is_active=is_active)
    if kinds is not None:
        recipient.kinds = kinds
    recipient.full_clean()
    recipient.save()
    events.publish("recipient.created", tenant=tenant, payload=_payload(recipient), actor=actor)
    return recipient


@transaction.atomic
def recipient_update(*, recipient: Recipient, actor=None, **changes) -> Recipient:
    _, changed = model_update(recipient, editable=RECIPIENT_EDITABLE, changes=changes)
    if changed:
        payload = _payload(recipient) | {"changed": changed}
        events.publish("recipient.updated", tenant=recipient.tenant, payload=payload, actor=actor)
    return recipient


@transaction.atomic
def recipient_delete(*, recipient: Recipient, actor=None) -> None:
    payload = _payload(recipient)
    tenant = recipient.tenant
    recipient.delete()
    events.publish("recipient.deleted", tenant=tenant, payload=payload, actor=actor)


def unsubscribe_token(recipient: Recipient) -> str:
    """The capability in a digest's unsubscribe link: this recipient, signed (it never
    expires: a link in an old email still works)."""
    return signing.dumps(recipient.pk, salt=UNSUBSCRIBE_SALT)


def recipient_by_token(token: str) -> Recipient | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Recipient.objects.select_related("tenant").filter(pk=pk).first()


@transaction.atomic
def recipient_unsubscribe(*, recipient: Recipient) -> Recipient:
    """The person asked to hear no more: recorded once; no digest is sent to them again."""
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = timezone.now()
        recipient.save(update_fields=["unsubscribed_at"])
        events.publish(
            "recipient.unsubscribed", tenant=recipient.tenant, payload=_payload(recipient)
        )
    return recipient
