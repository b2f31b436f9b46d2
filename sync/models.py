import uuid

from django.db import models
from django.utils import timezone

from core.tenancy import TenantQuerySet


class Event(models.Model):
    """What happened, written in the same transaction as the change (the outbox)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100, db_index=True)
    tenant = models.ForeignKey(
        "licensing.Tenant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
