"""Reads of notifications worth naming."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Notification, Recipient

MAX_ITEMS = 500  # notifications in one digest; the rest go in the next


def recipients_due(*, sent_before) -> QuerySet[Recipient]:
    """Recipients who may be sent a digest now (receiving, none sent since `sent_before`)
    and have something new waiting: their tenant's notifications past their watermark, the
    platform's for recipients of no tenant."""
    newer = Notification.objects.filter(
        id__gt=OuterRef("last_notification_id"), created_at__gte=OuterRef("created_at")
    )
    waiting = Q(tenant__isnull=False, has_tenant_news=True) | Q(
        tenant__isnull=True, has_platform_news=True
    )
    return (
        Recipient.objects.filter(is_active=True, unsubscribed_at__isnull=True)
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=sent_before))
        .annotate(
            has_tenant_news=Exists(newer.filter(tenant_id=OuterRef("tenant_id"))),
            has_platform_news=Exists(newer.filter(tenant__isnull=True)),
        )
        .filter(waiting)
        .select_related("tenant")
        .order_by("pk")
    )


def notifications_pending(*, recipient: Recipient) -> list[Notification]:
    """What `recipient` has not been told yet, oldest first: of their tenant (or of no
    tenant), of the kinds they chose, since they were added."""
    rows = Notification.objects.filter(
        id__gt=recipient.last_notification_id, created_at__gte=recipient.created_at
    )
    if recipient.tenant_id is None:
        rows = rows.filter(tenant__isnull=True)
    else:
        rows = rows.filter(tenant_id=recipient.tenant_id)
    if recipient.kinds:
        rows = rows.filter(kind__in=recipient.kinds)
    return list(rows.order_by("id")[:MAX_ITEMS])
