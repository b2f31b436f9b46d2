import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwnedModel, TenantQuerySet


class Event(models.Model):
    """What happened, written in the same transaction as the change (the outbox)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100, db_index=True)
    tenant = models.ForeignKey(
        "licensing.Tenant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
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


# --- Synced documents (seed 004) ---------------------------------------------------------

document_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,63}$",
    "Lowercase letters, digits, '-' and '_', at most 64, starting with a letter or digit.",
    code="invalid_document_name",
)


class SyncDocument(TenantOwnedModel):
    """A tenant's named JSON document (the seed's settings, team, services, solutions…).
    `version` is its ETag; it moves only when the stored value changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64, validators=[document_name_validator])
    data = models.JSONField(default=dict, blank=True)
    # Fields whose stored values a write keeps, at the top of the object and in each list item.
    preserve_fields = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="sync_document_name_per_tenant")
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class SyncDocumentRevision(models.Model):
    """One write of a document: who, when, the RFC 6902 diff from the version before, and
    the document as it then was (what a restore writes back)."""

    document = models.ForeignKey(SyncDocument, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    patch = models.JSONField(default=list)
    changed = models.JSONField(default=list)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, default="system")
    created_at = models.DateTimeField(default=timezone.now)

    tenant_lookup = "document__tenant"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version"], name="sync_revision_version_per_document"
            )
        ]

    def __str__(self):
        return f"{self.document.name} v{self.version}"


class DeviceCommand(TenantOwnedModel):
    """A remote command for a device (a NEOPRO site): pushed over Socket.IO or fetched by
    polling, answered with a result. `queued → delivered → succeeded | failed`, or
    `expired` (not answered in time) / `cancelled` (by staff, before an answer)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.QUEUED, Status.DELIVERED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="commands")
    type = models.CharField(max_length=50)
    data = models.JSONField(default=dict, blank=True)
    # update_software made from a release: its URL is presigned at delivery, and its
    # outcome is the device's update session for that release.
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # What a device has pending, oldest first; what the expiry sweep finds.
            models.Index(fields=["device", "status", "created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self):
        return f"{self.type} → {self.device_id}"
