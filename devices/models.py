import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwnedModel


class Channel(models.TextChoices):
    """Inclusive: a beta device also gets stable releases (see platforms.channels_seen_by)."""

    STABLE = "stable", _("Stable")
    BETA = "beta", _("Beta")
    ALPHA = "alpha", _("Alpha")


class Device(TenantOwnedModel):
    """An installation holding a seat of a license (an activation)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DEACTIVATED = "deactivated", _("Deactivated")

    Channel = Channel

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    license = models.ForeignKey(
        "licensing.License", on_delete=models.PROTECT, related_name="devices"
    )
    product = models.ForeignKey("licensing.Product", on_delete=models.PROTECT, related_name="+")
    hardware_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    os_version = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=50, blank=True)
    app_version = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.STABLE)
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    token_prefix = models.CharField(max_length=12, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "product", "hardware_id"], name="device_unique_hardware"
            ),
            # Authentication by license key + hardwareId finds the device by these two. A
            # license is one tenant's and one product's, so the pair is unique anyway; saying
            # so keeps PostgreSQL on this index whatever its statistics (without them it
            # took (license, status) and filtered every device of the license).
            models.UniqueConstraint(
                fields=["license", "hardware_id"], name="device_unique_license_hardware"
            ),
        ]
        indexes = [
            models.Index(fields=["license", "status"]),
            models.Index(fields=["tenant", "status", "last_seen_at"]),
            models.Index(fields=["product", "app_version"]),
            # The dashboard's aggregates (devices per version, cohort sizes, silent devices)
            # read only these: index-only scans of the active devices.
            models.Index(
                fields=["tenant", "product", "app_version"],
                condition=models.Q(status="active"),
                name="device_active_versions",
            ),
            models.Index(
                fields=["last_seen_at"],
                condition=models.Q(status="active"),
                name="device_active_last_seen",
            ),
            # The admin's device list: its order (-created_at, -pk), for platform staff,
            # tenant staff and the status filter; the search of an id-looking term is a
            # prefix of the hardware id (LIKE 'x%' needs the pattern operator class).
            models.Index(fields=["created_at", "id"], name="device_list_order"),
            models.Index(fields=["tenant", "created_at"], name="device_list_tenant"),
            models.Index(fields=["status", "created_at"], name="device_list_status"),
            models.Index(
                fields=["hardware_id"],
                opclasses=["varchar_pattern_ops"],
                name="device_hardware_id_prefix",
            ),
        ]

    def __str__(self):
        return self.name or self.hardware_id

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE
