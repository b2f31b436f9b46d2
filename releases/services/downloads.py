"""Who may download an artifact."""

import uuid
from dataclasses import dataclass

from django.db.models import F
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from licensing.models import License, Product

from ..models import Artifact, Release
from .check import release_hidden_from


def artifact_for_download(*, artifact_id, license: License | None = None) -> Artifact:
    """The artifact if the caller may have it: a node whose license covers the release, or
    anyone for an `open` product. Unknown and forbidden look the same (404)."""
    not_found = ApiError("ARTIFACT_NOT_FOUND", _("No such artifact."), 404)
    try:
        artifact_id = uuid.UUID(str(artifact_id))
    except ValueError as exc:
        raise not_found from exc
    artifact = (
        Artifact.objects.select_related("release", "release__product")
        .filter(pk=artifact_id, release__status=Release.Status.PUBLISHED)
        .first()
    )
    if artifact is None:
        raise not_found
    release = artifact.release
    if license is None:
        if release.product.distribution != Product.Distribution.OPEN or release.tenant_id:
            raise not_found
        return artifact
    if release.product_id != license.product_id:
        raise not_found
    hidden = release_hidden_from(
        release_tenant_id=release.tenant_id,
        published_at=release.published_at,
        tenant_id=license.tenant_id,
        updates_until=license.updates_until,
    )
    if hidden == "TENANT":
        raise not_found
    if hidden == "MAINTENANCE":
        raise ApiError(
            "MAINTENANCE_EXPIRED", _("This release is past the license's maintenance."), 403
        )
    return artifact


@dataclass(frozen=True)
class _Stored:
    name: str


@dataclass(frozen=True)
class DeltaDownload:
    """What a download response needs (as an Artifact offers it): file.name, size,
    filename, and the release whose download it counts as (a delta fetches that release)."""

    file: _Stored
    size: int
    filename: str
    release_id: uuid.UUID


def artifact_delta_for_download(
    *, artifact_id, from_artifact_id, license: License | None = None
) -> DeltaDownload:
    """The delta to `artifact_id` from `from_artifact_id`, for whoever may download the
    artifact; 404 DELTA_NOT_FOUND when there is none."""
    artifact = artifact_for_download(artifact_id=artifact_id, license=license)
    for entry in artifact.deltas:
        if entry["fromArtifact"] == str(from_artifact_id):
            filename = f"{artifact.filename}.from-{entry['fromVersion']}.zst"
            return DeltaDownload(
                file=_Stored(entry["file"]),
                size=entry["size"],
                filename=filename,
                release_id=artifact.release_id,
            )
    raise ApiError("DELTA_NOT_FOUND", _("No such delta."), 404)


def download_counted(*, artifact: Artifact | DeltaDownload, range_header: str = "") -> None:
    """One more download of the artifact's release: a request from the first byte (a whole
    file, or electron-updater's differential ranges, which start at 0), not a resumed
    download's later ranges. Counted when Relais answers, also by a redirect to storage."""
    if range_header and not range_header.replace(" ", "").startswith("bytes=0-"):
        return
    Release.objects.filter(pk=artifact.release_id).update(downloads=F("downloads") + 1)
