"""Telemetry reports (a time series), the latest metrics per device, hourly rollups, alert
rules and alerts."""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwnedModel, TenantQuerySet


class TimeIndex(BrinIndex):
    """BRIN on PostgreSQL (a few pages for a table written in time order), a plain index on
    other databases (SQLite has no BRIN)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        return models.Index.create_sql(self, model, schema_editor, using=using, **kwargs)

    def check_supported(self, schema_editor):
        pass


class TelemetryReport(TenantOwnedModel):
    """One report of a device (or, in the CyberSensei dialect, of a tenant's node). Written
    in bulk and kept RELAIS_TELEMETRY_RETENTION_DAYS: no foreign-key constraints (a row is
    checked against nothing at insert time; the node was authenticated) and deleted by
    retention, never by a cascade."""

    class Kind(models.TextChoices):
        TELEMETRY = "telemetry", _("Telemetry")
        HEARTBEAT = "heartbeat", _("Heartbeat")

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        settings.RELAIS_TENANT_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # every index costs each insert; (device, time) and BRIN serve reads
        related_name="+",
    )
    device = models.ForeignKey(
        "devices.Device",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TELEMETRY)
    received_at = models.DateTimeField(default=timezone.now)
    reported_at = models.DateTimeField(null=True, blank=True)
    uptime = models.BigIntegerField(null=True, blank=True, help_text=_("Seconds."))
    version = models.CharField(max_length=100, blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            TimeIndex(fields=["received_at"], name="telemetry_received_brin"),
            models.Index(fields=["device", "received_at"], name="telemetry_device_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.received_at:%Y-%m-%d %H:%M:%S}"


class LatestMetrics(TenantOwnedModel):
    """A device's latest report, written in bulk from the cache by a beat task (no UPDATE per
    report)."""

    device = models.OneToOneField(
        "devices.Device", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    received_at = models.DateTimeField()
    reported_at = models.DateTimeField(null=True, blank=True)
    uptime = models.BigIntegerField(null=True, blank=True)
    version = models.CharField(max_length=100, blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = _("latest metrics")

    def __str__(self):
        return f"{self.device_id} @ {self.received_at:%Y-%m-%d %H:%M:%S}"


class TelemetryRollup(TenantOwnedModel):
    """Count, sum, min and max of one numeric metric of one device over one hour: what the
    charts read. Built incrementally (additive upserts), so late reports still count."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique (device, hour, metric) serves
        related_name="+",
    )
    hour = models.DateTimeField()
    metric = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    minimum = models.FloatField()
    maximum = models.FloatField()

    class Meta:
        ordering = ["device", "hour", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "hour", "metric"], name="telemetry_rollup_unique"
            ),
        ]
        indexes = [TimeIndex(fields=["hour"], name="telemetry_rollup_hour_brin")]

    def __str__(self):
        return f"{self.metric} {self.hour:%Y-%m-%d %H:00}"

    @property
    def average(self) -> float:
        return self.total / self.count if self.count else 0.0


class RollupCursor(models.Model):
    """How far (in `received_at`) reports have been rolled up: the rollup task's watermark."""

    name = models.CharField(max_length=50, primary_key=True)
    position = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.position:%Y-%m-%d %H:%M:%S}"


class Severity(models.TextChoices):
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertRule(models.Model):
    """Overrides the built-in thresholds (telemetry/rules.py) of one metric: for every tenant
    (platform staff, no tenant), for a tenant, and either of them for one product only. The
    most specific enabled rule wins; a disabled one turns the metric's alerts off there."""

    tenant = models.ForeignKey(
        "licensing.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every tenant (platform staff only)."),
    )
    product = models.ForeignKey(
        "licensing.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every product."),
    )
    metric = models.CharField(max_length=64)
    warning = models.FloatField(null=True, blank=True, help_text=_("Warn above this value."))
    critical = models.FloatField(null=True, blank=True, help_text=_("Critical above this value."))
    margin = models.FloatField(
        default=2.0,
        help_text=_("An alert resolves once the value is this much under the lowest threshold."),
    )
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenant_shared_when_null = True  # platform-wide rules: read by tenants, changed by staff
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["metric", "tenant", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric"],
                condition=Q(tenant__isnull=True, product__isnull=True),
                name="alert_rule_unique_global",
            ),
            models.UniqueConstraint(
                fields=["metric", "product"],
                condition=Q(tenant__isnull=True, product__isnull=False),
                name="alert_rule_unique_product",
            ),
            models.UniqueConstraint(
                fields=["metric", "tenant"],
                condition=Q(tenant__isnull=False, product__isnull=True),
                name="alert_rule_unique_tenant",
            ),
            models.UniqueConstraint(
                fields=["metric", "tenant", "product"],
                condition=Q(tenant__isnull=False, product__isnull=False),
                name="alert_rule_unique_tenant_product",
            ),
            models.CheckConstraint(
                condition=Q(warning__isnull=True)
                | Q(critical__isnull=True)
                | Q(critical__gte=models.F("warning")),
                name="alert_rule_critical_above_warning",
                violation_error_message=_("The critical threshold must not be under the warning."),
            ),
            models.CheckConstraint(condition=Q(margin__gte=0), name="alert_rule_margin_positive"),
        ]

    def __str__(self):
        scope = [str(s) for s in (self.tenant, self.product) if s] or [str(_("everyone"))]
        return f"{self.metric} ({', '.join(scope)})"


class Alert(TenantOwnedModel):
    """A device's metric over a threshold, or the device silent (`offline`). One open alert
    per device and metric (a partial unique index); it escalates, and resolves once."""

    OFFLINE = "offline"

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=64)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    value = models.FloatField(null=True, blank=True, help_text=_("The latest value seen."))
    threshold = models.FloatField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=32, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "metric"],
                condition=Q(status="open"),
                name="alert_one_open_per_device_metric",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "severity"]),
            models.Index(fields=["status", "metric"]),
        ]

    def __str__(self):
        return f"{self.metric} {self.severity} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class LicenseExpiryNotice(models.Model):
    """A `license.expiring` warning sent: once per license, expiry date and threshold."""

    license = models.ForeignKey("licensing.License", on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    tenant_lookup = "license__tenant"
    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["license", "expires_at", "days"], name="license_expiry_notice_once"
            ),
        ]

    def __str__(self):
        return f"{self.license_id}: {self.days} days"
