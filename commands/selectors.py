"""Reads of remote commands."""

from django.utils.translation import gettext as _

from core.exceptions import ApiError
from devices.models import Device
from releases.models import Artifact, Release
from releases.services.check import release_hidden_from


def release_artifact_for(device: Device, release: Release) -> Artifact:
    """The artifact of `release` for `device`, if the device may have it."""
    refuse = ApiError("RELEASE_NOT_AVAILABLE", _("This release is not available here."), 400)
    if release.product_id != device.product_id or release.status != Release.Status.PUBLISHED:
        raise refuse
    hidden = release_hidden_from(
        release_tenant_id=release.tenant_id,
        published_at=release.published_at,
        tenant_id=device.tenant_id,
        updates_until=device.license.updates_until,
    )
    if hidden:
        raise refuse
    artifacts = {a.platform: a for a in release.artifacts.all()}
    artifact = artifacts.get(device.platform) or artifacts.get("any")
    if artifact is None and len(artifacts) == 1 and not device.platform:
        artifact = next(iter(artifacts.values()))
    if artifact is None:
        raise ApiError("NO_ARTIFACT", _("The release has no artifact for this device."), 400)
    return artifact
