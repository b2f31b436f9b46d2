"""Who is told (recipients, per tenant, or the platform's own with no tenant) and what is
waiting to be told (notifications, written with the event that caused them)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantQuerySet


class Kind(models.TextChoices):
    ALERTS = "alerts", _("Alerts opened and resolved")
    LICENSES = "licenses", _("Licenses expiring")
    ROLLOUTS = "rollouts", _("Rollouts halted")
    UPDATES = "updates", _("Bursts of failed updates")


# The events a person is told about, by kind.
EVENT_KINDS = {
    "alert.opened": Kind.ALERTS,
    "alert.resolved": Kind.ALERTS,
    "license.expiring": Kind.LICENSES,
    "rollout.halted": Kind.ROLLOUTS,
    "update.failed": Kind.UPDATES,
}


def every_kind() -> list[str]:
    return list(Kind.values)


def validate_kinds(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("A list of kinds."))
    unknown = sorted(set(value) - set(Kind.values))
    if unknown:
        raise ValidationError(
            _("Unknown kinds: %(kinds)s (known: %(known)s).")
            % {"kinds": ", ".join(unknown), "known": ", ".join(Kind.values)}
        )


class Recipient(models.Model):
    """A person emailed a digest of their tenant's notifications (no tenant: the platform's
    staff, told about what concerns no single tenant, e.g. a rollout across tenants)."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        settings.RELAIS_TENANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: platform staff, told about events of no single tenant."),
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(
        default=every_kind,
        blank=True,
        validators=[validate_kinds],
        help_text=_("What they are told about; empty: all."),
    )
    is_active = models.BooleanField(default=True)
    # Set by the recipient's own unsubscribe link; staff cannot clear it (consent).
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The digest's watermark: the last notification this recipient was sent, and when.
    last_notification_id = models.BigIntegerField(default=0, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=Q(tenant__isnull=False),
                name="notification_recipient_unique_tenant_email",
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(tenant__isnull=True),
                name="notification_recipient_unique_platform_email",
            ),
        ]

    def __str__(self):
        return self.email

    @property
    def receives(self) -> bool:
        return self.is_active and self.unsubscribed_at is None


class Notification(models.Model):
    """One event worth telling people about, waiting for the next digests (kept
    RELAIS_NOTIFY_RETENTION_DAYS)."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        settings.RELAIS_TENANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "id"], name="notification_tenant_id")]

    def __str__(self):
        return f"{self.event_type} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
