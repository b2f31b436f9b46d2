import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Event
from core.tenancy import TenantQuerySet


class WebhookEndpoint(models.Model):
    """Where events are sent (Standard Webhooks). A tenant's endpoint receives its
    tenant's events; a platform-wide one (no tenant) receives every event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "licensing.Tenant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: platform-wide, every tenant's events.",
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Patterns: an event type, "<prefix>.*" or "*". Empty: every event.
    event_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    # `whsec_…`: shown once at creation or rotation. Kept in clear: HMAC needs the key.
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation, deliveries are signed with both keys until this time.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    # The lease of the one worker sending this endpoint's queue (see webhooks.endpoint_flush).
    sending_token = models.UUIDField(null=True, blank=True, editable=False)
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.description or self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, written with the event (the outbox), sent by a task
    until it succeeds or its retries run out. Its id is the stable `webhook-id`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed (no retry left)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenant_lookup = "endpoint__tenant"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The sweep: what is due; the sender: an endpoint's queue in event order.
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "status", "created_at"]),
        ]

    def __str__(self):
        return f"{self.event.type} → {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"
