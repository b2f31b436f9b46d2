import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwnedModel


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
    # deploy_video made from the media library: its URL is presigned at delivery too.
    video = models.ForeignKey(
        "commands.MediaVideo", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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


def video_upload_to(instance, filename: str) -> str:
    return f"media/{instance.tenant_id}/{uuid.uuid4().hex}/{filename}"


class MediaVideo(TenantOwnedModel):
    """A video of a tenant's media library (NEOPRO sites), in the configured storage. Its
    size and sha256 are computed by the server on upload; `deploy_video` sends it to a
    site with a short-lived URL and the checksum."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=255)
    category = models.CharField(max_length=255)
    subcategory = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to=video_upload_to, max_length=500)
    filename = models.CharField(max_length=255, editable=False)
    size = models.BigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    duration = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["category", "subcategory", "title"]

    def __str__(self):
        return f"{self.category}/{self.title}"


class SiteVideo(TenantOwnedModel):
    """A video a site holds, as its agent reported in deploy_video / delete_video results:
    one row per (device, category, subcategory, filename)."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="videos")
    video = models.ForeignKey(
        MediaVideo, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites"
    )
    filename = models.CharField(max_length=255)
    category = models.CharField(max_length=255)
    subcategory = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    command = models.ForeignKey(
        DeviceCommand, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "subcategory", "filename"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "category", "subcategory", "filename"], name="site_video_once"
            )
        ]

    def __str__(self):
        return f"{self.device_id}: {self.category}/{self.filename}"
