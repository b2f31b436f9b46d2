import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from core.tenancy import TenantOwnedModel, TenantQuerySet

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


class PublishableKey(TenantOwnedModel):
    """A tenant's read key for a public frontend (seed 004): safe to embed in a page, it
    reads only the documents it names, never writes, and is revoked when leaked. Shown
    once (`rlp_…`); stored as HMAC-SHA256 with the server pepper, like every key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    # The document names it reads (the seed's frontend: settings, team, services, solutions).
    documents = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.name or self.tenant})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class BrowserOrigin(TenantOwnedModel):
    """An origin (`https://trugroup.vercel.app`) from which a tenant's frontends call the
    API from a browser: CORS lets it in, and a publishable key is accepted from it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["origin"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "origin"], name="browser_origin_per_tenant")
        ]

    def __str__(self):
        return self.origin
