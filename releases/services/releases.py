"""Writes of the releases domain: releases, artifacts (streamed to storage)."""

import hashlib
import os

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from core.services.changes import model_update
from devices.platforms import validate_platform
from licensing.models import Product, Tenant
from licensing.services import product_manifest_serial_bump

from ..catalogue import catalogue_invalidate
from ..models import Artifact, Release, artifact_upload_to
from ..versions import version_or_refuse

CHUNK = 1024 * 1024


def _payload(release: Release) -> dict:
    return {
        "releaseId": release.pk,
        "product": release.product.slug,
        "version": release.version,
        "channel": release.channel,
        "status": release.status,
    }


def _publish(event_type: str, release: Release, actor, **extra):
    events.publish(
        event_type, tenant=release.tenant, payload=_payload(release) | extra, actor=actor
    )
    product_manifest_serial_bump(product_id=release.product_id)
    catalogue_invalidate(release.product_id)


def _version_exists(product: Product, version: str) -> ApiError:
    return ApiError(
        "VERSION_EXISTS",
        _("%(product)s %(version)s already exists.")
        % {"product": product.slug, "version": version},
        409,
    )


@transaction.atomic
def release_create(
    *,
    actor=None,
    product: Product,
    version: str,
    channel: str = Release.Channel.STABLE,
    notes: str = "",
    is_mandatory: bool = False,
    tenant: Tenant | None = None,
    is_stepping_stone: bool = False,
) -> Release:
    """A draft release. Versions are unique per product among the releases one audience
    sees: shared ones (no tenant) together, and each tenant's restricted ones apart, so
    tenant staff neither learn of nor collide with releases they cannot see."""
    if not product.is_active:
        raise ApiError("INACTIVE", _("Product %(name)s is deactivated.") % {"name": product}, 409)
    version = str(version_or_refuse(version))
    if Release.objects.filter(product=product, version=version, tenant=tenant).exists():
        raise _version_exists(product, version)
    release = Release(
        product=product,
        version=version,
        channel=channel,
        notes=notes,
        is_mandatory=is_mandatory,
        tenant=tenant,
        is_stepping_stone=is_stepping_stone,
    )
    release.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():  # a concurrent create of the same version loses here
            release.save()
    except IntegrityError as exc:
        raise _version_exists(product, version) from exc
    _publish("release.created", release, actor)
    return release


RELEASE_EDITABLE = {"notes", "is_mandatory", "channel", "tenant", "is_stepping_stone"}


@transaction.atomic
def release_update(*, release: Release, actor=None, **changes) -> Release:
    _, changed = model_update(release, editable=RELEASE_EDITABLE, changes=changes)
    if changed:
        _publish("release.updated", release, actor, changed=changed)
    return release


@transaction.atomic
def release_publish(*, release: Release, actor=None) -> Release:
    release.status = Release.objects.select_for_update().get(pk=release.pk).status
    if release.status == Release.Status.PUBLISHED:
        return release
    if not release.artifacts.exists():
        raise ApiError(
            "NO_ARTIFACT", _("A release needs at least one artifact to be published."), 409
        )
    release.status = Release.Status.PUBLISHED
    release.published_at = release.published_at or timezone.now()
    release.save(update_fields=["status", "published_at"])
    _publish("release.published", release, actor)
    return release


@transaction.atomic
def release_yank(*, release: Release, actor=None) -> Release:
    """Withdraw a release: never offered nor downloadable again."""
    if release.status == Release.Status.DRAFT:
        raise ApiError("INVALID_TRANSITION", _("A draft release cannot be yanked."), 409)
    if release.status == Release.Status.YANKED:
        return release
    release.status = Release.Status.YANKED
    release.save(update_fields=["status"])
    _publish("release.yanked", release, actor)
    return release


class _Digest:
    def __init__(self):
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.sha512 = hashlib.sha512()

    def update(self, chunk: bytes):
        self.size += len(chunk)
        self.sha256.update(chunk)
        self.sha512.update(chunk)


def _digest(file) -> _Digest:
    """Size and hashes computed by reading the file once, a chunk at a time."""
    digest = _Digest()
    file.seek(0)
    for chunk in iter(lambda: file.read(CHUNK), b""):
        digest.update(chunk)
    file.seek(0)
    return digest


def _artifact_exists(platform: str) -> ApiError:
    return ApiError(
        "ARTIFACT_EXISTS",
        _("This release already has a %(platform)s artifact.") % {"platform": platform},
        409,
    )


def _refuse_unless_draft(status: str) -> None:
    if status != Release.Status.DRAFT:
        raise ApiError(
            "RELEASE_NOT_DRAFT", _("Artifacts can only be added to a draft release."), 409
        )


def artifact_create(
    *,
    actor=None,
    release: Release,
    file,
    platform: str = "any",
    filename: str | None = None,
    declared_size: int | None = None,
    declared_sha256: str | None = None,
    signature: str = "",
) -> Artifact:
    """Store an uploaded file (already spooled to disk by Django's upload handlers) and
    record it. Size and hashes are the server's own; a declared size or sha256 that does
    not match refuses the upload. A failure leaves neither a row nor a file behind."""
    validate_platform(platform)
    _refuse_unless_draft(release.status)
    if Artifact.objects.filter(release=release, platform=platform).exists():
        raise _artifact_exists(platform)
    filename = os.path.basename(filename or getattr(file, "name", "") or "artifact.bin")
    digest = _digest(file)
    if declared_size is not None and declared_size != digest.size:
        raise ApiError(
            "SIZE_MISMATCH",
            _("Declared size %(declared)s but %(received)s bytes were received.")
            % {"declared": declared_size, "received": digest.size},
            400,
        )
    if declared_sha256 and declared_sha256.lower() != digest.sha256.hexdigest():
        raise ApiError("CHECKSUM_MISMATCH", _("Declared sha256 does not match the upload."), 400)
    if digest.size == 0:
        raise ApiError("EMPTY_FILE", _("The uploaded file is empty."), 400)
    artifact = Artifact(
        release=release,
        platform=platform,
        filename=filename,
        size=digest.size,
        sha256=digest.sha256.hexdigest(),
        sha512=digest.sha512.hexdigest(),
        signature=signature,
    )
    name = default_storage.save(artifact_upload_to(artifact, filename), file)
    try:
        with transaction.atomic():
            # The release row is locked, as by release_publish: an upload that outlasts a
            # publish cannot slip an artifact into the published release.
            _refuse_unless_draft(Release.objects.select_for_update().get(pk=release.pk).status)
            artifact.file.name = name
            artifact.full_clean()
            artifact.save()
            _publish(
                "artifact.created",
                release,
                actor,
                artifactId=artifact.pk,
                platform=platform,
            )
    except IntegrityError as exc:
        default_storage.delete(name)
        raise _artifact_exists(platform) from exc
    except BaseException:
        default_storage.delete(name)
        raise
    return artifact


@transaction.atomic
def artifact_delete(*, artifact: Artifact, actor=None) -> None:
    release = artifact.release
    if release.status != Release.Status.DRAFT:
        raise ApiError("RELEASE_NOT_DRAFT", _("Artifacts of a published release are kept."), 409)
    name = artifact.file.name
    assert name is not None  # the file is required
    artifact_id, platform = artifact.pk, artifact.platform
    artifact.delete()
    _publish("artifact.deleted", release, actor, artifactId=artifact_id, platform=platform)
    transaction.on_commit(lambda: default_storage.delete(name))
