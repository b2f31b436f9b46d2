"""Writes of the releases domain: releases, artifacts (streamed to storage)."""

import hashlib
import os

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import model_update
from devices.platforms import validate_platform
from licensing.models import Product, Tenant
from sync import events

from .catalogue import catalogue_invalidate
from .models import Artifact, Release, artifact_upload_to
from .versions import version_or_refuse

CHUNK = 1024 * 1024


def _payload(release: Release) -> dict:
    return {
        "releaseId": release.pk,
        "product": release.product.slug,
        "version": release.version,
        "channel": release.channel,
        "status": release.status,
    }


def _publish(event_type: str, release: Release):
    events.publish(event_type, tenant=release.tenant, payload=_payload(release))
    catalogue_invalidate(release.product_id)


@transaction.atomic
def release_create(
    *,
    product: Product,
    version: str,
    channel: str = Release.Channel.STABLE,
    notes: str = "",
    is_mandatory: bool = False,
    tenant: Tenant | None = None,
) -> Release:
    version = str(version_or_refuse(version))
    if Release.objects.filter(product=product, version=version).exists():
        raise ApiError("VERSION_EXISTS", f"{product.slug} {version} already exists.", 409)
    release = Release(
        product=product,
        version=version,
        channel=channel,
        notes=notes,
        is_mandatory=is_mandatory,
        tenant=tenant,
    )
    release.full_clean()
    release.save()
    _publish("release.created", release)
    return release


RELEASE_EDITABLE = {"notes", "is_mandatory", "channel", "tenant"}


@transaction.atomic
def release_update(*, release: Release, **changes) -> Release:
    model_update(release, editable=RELEASE_EDITABLE, changes=changes)
    _publish("release.updated", release)
    return release


@transaction.atomic
def release_publish(*, release: Release) -> Release:
    release.status = Release.objects.select_for_update().get(pk=release.pk).status
    if release.status == Release.Status.PUBLISHED:
        return release
    if not release.artifacts.exists():
        raise ApiError("NO_ARTIFACT", "A release needs at least one artifact to be published.", 409)
    release.status = Release.Status.PUBLISHED
    release.published_at = release.published_at or timezone.now()
    release.save(update_fields=["status", "published_at"])
    _publish("release.published", release)
    return release


@transaction.atomic
def release_yank(*, release: Release) -> Release:
    """Withdraw a release: never offered nor downloadable again."""
    if release.status == Release.Status.DRAFT:
        raise ApiError("INVALID_TRANSITION", "A draft release cannot be yanked.", 409)
    release.status = Release.Status.YANKED
    release.save(update_fields=["status"])
    _publish("release.yanked", release)
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


def _refuse_unless_draft(status: str) -> None:
    if status != Release.Status.DRAFT:
        raise ApiError(
            "RELEASE_NOT_DRAFT", _("Artifacts can only be added to a draft release."), 409
        )


def artifact_create(
    *,
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
        raise ApiError("ARTIFACT_EXISTS", f"This release already has a {platform} artifact.", 409)
    filename = os.path.basename(filename or getattr(file, "name", "") or "artifact.bin")
    digest = _digest(file)
    if declared_size is not None and declared_size != digest.size:
        raise ApiError(
            "SIZE_MISMATCH",
            f"Declared size {declared_size} but {digest.size} bytes were received.",
            400,
        )
    if declared_sha256 and declared_sha256.lower() != digest.sha256.hexdigest():
        raise ApiError("CHECKSUM_MISMATCH", "Declared sha256 does not match the upload.", 400)
    if digest.size == 0:
        raise ApiError("EMPTY_FILE", "The uploaded file is empty.", 400)
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
            events.publish(
                "artifact.created",
                tenant=release.tenant,
                payload=_payload(release) | {"artifactId": artifact.pk, "platform": platform},
            )
            catalogue_invalidate(release.product_id)
    except IntegrityError as exc:
        default_storage.delete(name)
        raise ApiError(
            "ARTIFACT_EXISTS", f"This release already has a {platform} artifact.", 409
        ) from exc
    except BaseException:
        default_storage.delete(name)
        raise
    return artifact


@transaction.atomic
def artifact_delete(*, artifact: Artifact) -> None:
    if artifact.release.status != Release.Status.DRAFT:
        raise ApiError("RELEASE_NOT_DRAFT", "Artifacts of a published release are kept.", 409)
    name = artifact.file.name
    product_id = artifact.release.product_id
    artifact.delete()
    catalogue_invalidate(product_id)
    transaction.on_commit(lambda: default_storage.delete(name))
