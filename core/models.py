import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import TenantQuerySet


class Event(models.Model):
    """What happened, written in the same transaction as the change (the outbox)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100, db_index=True)
    tenant = models.ForeignKey(
        settings.RELAIS_TENANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    payload = models.JSONField(default=dict)
    # Who did it: the user (kept as a label if the user is deleted), or "system".
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, default="system")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
