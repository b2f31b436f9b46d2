import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwnedModel, TenantQuerySet

# The NEOPRO agent's allow-list, the default for every product.
DEFAULT_ALLOWED_COMMANDS = [
    "deploy_video",
    "delete_video",
    "update_software",
    "update_config",
    "reboot",
    "restart_service",
    "get_logs",
]


def default_allowed_commands():
    return list(DEFAULT_ALLOWED_COMMANDS)


def default_language():
    """A new tenant's language: the deployment's (RELAIS_DEFAULT_LANGUAGE; a French-speaking
    vendor sets `fr` once and every tenant it creates starts in French)."""
    return settings.LANGUAGE_CODE


def default_offline_validity():
    return timedelta(days=30)


class Tenant(models.Model):
    # Random, never sequential: the CyberSensei dialect hands it out as `tenantId`.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    # The tenant's language: its staff's backoffice (unless they pick another) and the
    # notification emails its people get.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=default_language
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When its devices may be updated (devices.windows); on the tenant's row so the node
    # authenticator's one query brings them to the update check.
    maintenance_windows = models.JSONField(default=list, blank=True, editable=False)

    tenant_lookup = "pk"
    tenancy_platform_owned = True  # tenant staff read their tenant, never change it
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class UserQuerySet(TenantQuerySet):
    pass


class TenantUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """Platform staff have no tenant; tenant staff belong to exactly one."""

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    objects = TenantUserManager()


class Product(models.Model):
    class Distribution(models.TextChoices):
        LICENSED = "licensed", _("Licensed")
        OPEN = "open", _("Open (anonymous manifest and downloads)")

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    distribution = models.CharField(
        max_length=16, choices=Distribution.choices, default=Distribution.LICENSED
    )
    allowed_commands = models.JSONField(default=default_allowed_commands, blank=True)
    # Retired products take no new policy, license or release; the rest keeps working.
    is_active = models.BooleanField(default=True)
    # The `serial` of signed update manifests: raised in the transaction of every change to
    # the product's releases and artifacts (releases.services), never lowered, so a client
    # can refuse a manifest older than one it has seen (rollback protection).
    manifest_serial = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenancy_platform_shared = True

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Policy(models.Model):
    """A license template: what a license issued from it starts with."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="policies")
    name = models.CharField(max_length=200)
    max_devices = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: no limit.")
    )
    duration = models.DurationField(null=True, blank=True, help_text=_("Empty: never expires."))
    max_validations = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_window = models.DurationField(
        null=True, blank=True, help_text=_("A device silent longer than this frees its seat.")
    )
    grace_period = models.DurationField(
        default=timedelta,
        blank=True,
        help_text=_("Validation still passes this long after expiry."),
    )
    maintenance_duration = models.DurationField(
        null=True, blank=True, help_text=_("Updates offered this long after issue. Empty: always.")
    )
    entitlements = models.JSONField(default=list, blank=True)
    offline_validity = models.DurationField(
        default=default_offline_validity,
        help_text=_("How long an offline license file stays valid (never past the license)."),
    )
    # A deactivated policy issues no new license; issued ones keep working.
    is_active = models.BooleanField(default=True)

    tenancy_platform_shared = True

    class Meta:
        ordering = ["product__name", "name"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name"], name="policy_unique_name_per_product"
            )
        ]

    def __str__(self):
        return f"{self.product} / {self.name}"


class License(TenantOwnedModel):
    # Licenses and their limits are the vendor's: tenant staff read theirs, never change
    # them (they could otherwise raise their own entitlements).
    tenancy_platform_owned = True

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="licenses")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="licenses")
    name = models.CharField(max_length=200, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=8, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    updates_until = models.DateTimeField(
        null=True, blank=True, help_text=_("Releases published after this are not offered.")
    )
    max_devices = models.PositiveIntegerField(null=True, blank=True)
    max_validations = models.PositiveIntegerField(null=True, blank=True)
    grace_period = models.DurationField(default=timedelta, blank=True)
    validation_count = models.PositiveBigIntegerField(default=0, editable=False)
    last_validated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"]), models.Index(fields=["expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_validations__isnull=True) | Q(max_validations__gt=0),
                name="license_max_validations_positive",
            ),
        ]

    def __str__(self):
        return f"{self.key_prefix}… ({self.tenant})" if self.key_prefix else str(self.pk)

    @property
    def display_key(self) -> str:
        return f"{self.key_prefix}-********-********-********"


class ApiToken(models.Model):
    """A management-API token of a user: acts with that user's permissions and tenant."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A platform staff token made for one tenant's tools (seed 004's backoffice): the tenant
    # its requests address when they name none (`?tenant=` still names another).
    default_tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    tenant_lookup = "user__tenant"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"
