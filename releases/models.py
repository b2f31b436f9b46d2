import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwnedModel, TenantQuerySet
from devices.models import Channel

from .versions import parse_version


class Release(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        YANKED = "yanked", _("Yanked")

    Channel = Channel

    # Random: the CyberSensei dialect hands artifact and release ids out as `updateId`.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(
        "licensing.Product", on_delete=models.PROTECT, related_name="releases"
    )
    version = models.CharField(max_length=100)
    # Sortable parts of the semantic version, kept in step with `version` by the services.
    major = models.PositiveIntegerField(default=0, editable=False)
    minor = models.PositiveIntegerField(default=0, editable=False)
    patch = models.PositiveIntegerField(default=0, editable=False)
    prerelease = models.CharField(max_length=100, blank=True, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.STABLE)
    notes = models.TextField(blank=True)
    is_mandatory = models.BooleanField(default=False)
    # Every device on an older version installs this release before anything newer (a data
    # migration that cannot be skipped): see services.check.stepping_stone.
    is_stepping_stone = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("Devices on older versions must install this release before any newer one."),
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Requests for one of its files from the first byte, on every download route (see
    # services.downloads.download_counted): what feed-driven fleets fetched.
    downloads = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    tenant = models.ForeignKey(
        "licensing.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only this tenant's devices are offered the release. Empty: every tenant."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The rollout that decides who is offered the release (the latest started; it may have
    # ended): kept here so the catalogue reads it in its one query, by a join.
    current_rollout = models.ForeignKey(
        "Rollout",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    # A release without a tenant is shared by all; a restricted one is its tenant's data.
    tenant_shared_when_null = True
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["product", "-major", "-minor", "-patch", "-prerelease"]
        constraints = [
            # One version per product among shared releases, and per tenant among each
            # tenant's restricted ones (see services.release_create).
            models.UniqueConstraint(
                fields=["product", "version"],
                condition=Q(tenant__isnull=True),
                name="release_unique_shared_version",
            ),
            models.UniqueConstraint(
                fields=["product", "tenant", "version"],
                condition=Q(tenant__isnull=False),
                name="release_unique_tenant_version",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="release_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["product", "status"])]

    def __str__(self):
        return f"{self.product} {self.version}"

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            parsed = parse_version(self.version)
        except ValueError as exc:
            raise ValidationError({"version": str(exc)}) from exc
        self.major, self.minor, self.patch = parsed.major, parsed.minor, parsed.patch
        self.prerelease = parsed.prerelease or ""


def artifact_upload_to(artifact, filename):
    return f"artifacts/{artifact.release.product.slug}/{artifact.release.version}/{uuid.uuid4().hex}/{filename}"


class Artifact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="artifacts")
    platform = models.CharField(max_length=50, default="any")
    file = models.FileField(upload_to=artifact_upload_to, max_length=500)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    sha512 = models.CharField(max_length=128, editable=False)
    signature = models.TextField(blank=True, help_text=_("Optional vendor signature."))
    # Binary deltas to this file from earlier versions' (releases.services.deltas), kept on
    # the row so that the catalogue's one query carries them: [{fromArtifact, fromVersion,
    # file, size, sha256}].
    deltas = models.JSONField(default=list, blank=True, editable=False)
    # When its deltas were made (or found not worth making); None: not yet, so the beat
    # sweep makes them when the task queued on publish never ran (a broker down then).
    deltas_made_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenant_lookup = "release__tenant"
    tenant_shared_when_null = True
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["release", "platform"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "platform"], name="artifact_unique_platform"
            ),
        ]

    def __str__(self):
        return f"{self.release} [{self.platform}]"


class UpdateSession(models.Model):
    """One device updating to one release. Its id is derived from both (see `session_id`),
    so the update check can hand it out without writing; the row appears with the first
    status report."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        DOWNLOADING = "DOWNLOADING"
        DOWNLOADED = "DOWNLOADED"
        INSTALLING = "INSTALLING"
        COMPLETED = "COMPLETED"
        FAILED = "FAILED"
        ROLLED_BACK = "ROLLED_BACK"

    id = models.UUIDField(primary_key=True, editable=False)
    device = models.ForeignKey(
        "devices.Device", on_delete=models.CASCADE, related_name="update_sessions"
    )
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="update_sessions")
    from_version = models.CharField(max_length=100, blank=True)
    to_version = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    percent = models.PositiveSmallIntegerField(default=0)
    # 1, then one more each time the device starts again after FAILED or ROLLED_BACK.
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    tenant_lookup = "device__tenant"
    objects = TenantQuerySet.as_manager()
    # Not a column: set by session_report on the row it returns (a late report, acknowledged).
    stale: bool

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "release"], name="session_unique_device_release"
            ),
        ]
        indexes = [
            models.Index(fields=["release", "status"]),
            # The dashboard: outcomes per day and the latest errors.
            models.Index(fields=["status", "updated_at"]),
            # The admin's session list: its order (-updated_at, -pk) and its version filter.
            models.Index(fields=["updated_at", "id"], name="session_list_order"),
            models.Index(fields=["to_version", "updated_at"], name="session_list_version"),
        ]

    def __str__(self):
        return f"{self.device} → {self.to_version} ({self.status})"


class Rollout(models.Model):
    """Who is offered a release, stage by stage: a device is in when its bucket
    (sha256 of "<release id>:<device id>", modulo 10,000) is below `percent` × 100. See
    releases/cohorts.py for the rule and releases/services/rollouts.py for the state changes."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        HALTED = "halted", _("Halted")
        COMPLETED = "completed", _("Completed")

    ACTIVE = (Status.SCHEDULED, Status.RUNNING, Status.PAUSED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="rollouts")
    # [{"percent": 10, "holdMinutes": 60}, …], percents strictly increasing within 1–100.
    stages = models.JSONField()
    stage = models.PositiveSmallIntegerField(default=0, editable=False)  # index in `stages`
    percent = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    # Halt when more than this share (%) of finished sessions failed, once at least
    # `min_sample` sessions have finished.
    max_failure_rate = models.FloatField(default=10.0)
    min_sample = models.PositiveIntegerField(default=20)
    # Forced: every device it offers the release to gets `mandatory: true`.
    forced = models.BooleanField(default=False)
    # Forced only: pushed and offered outside the devices' maintenance windows (True), or
    # held to them like any optional update (False; devices take it inside their window).
    overrides_windows = models.BooleanField(default=True)
    # Optional audience: these tenants' devices and these devices (ids as strings); both
    # empty: every device the release is for. Plain lists: the catalogue carries them.
    target_tenant_ids = models.JSONField(default=list, blank=True)
    target_device_ids = models.JSONField(default=list, blank=True)
    start_at = models.DateTimeField(default=timezone.now)
    stage_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    halt_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenant_lookup = "release__tenant"
    tenant_shared_when_null = True
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["release"],
                condition=Q(status__in=["scheduled", "running", "paused"]),
                name="rollout_one_active_per_release",
                violation_error_message=_("This release already has an active rollout."),
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="rollout_percent_at_most_100"
            ),
        ]
        indexes = [models.Index(fields=["status", "start_at"])]

    def __str__(self):
        return f"{self.release} @ {self.percent}% ({self.status})"


class UpdateDay(TenantOwnedModel):
    """Update outcomes per tenant, product and day, counted as status reports arrive: the
    dashboard's 14-day chart reads these few rows, not millions of sessions."""

    product = models.ForeignKey("licensing.Product", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    completed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)  # FAILED and ROLLED_BACK reports

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "product", "day"], name="update_day_unique"),
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.day} {self.product}: {self.completed} ✓ {self.failed} ✗"
