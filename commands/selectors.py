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


def site_configurations(devices) -> dict:
    """Each device's configuration.json as last applied (its newest succeeded
    update_config), by device id; a device never configured here is absent. One query."""
    from .models import DeviceCommand

    applied: dict = {}
    rows = (
        DeviceCommand.objects.filter(
            device__in=devices, type="update_config", status=DeviceCommand.Status.SUCCEEDED
        )
        .order_by("device_id", "-completed_at")
        .values_list("device_id", "data")
    )
    for device_id, data in rows:
        applied.setdefault(device_id, (data or {}).get("configuration"))
    return applied


def config_diff(old, new) -> str:
    """A unified diff of two configurations, as JSON with sorted keys."""
    import difflib
    import json

    def lines(value):
        if value is None:
            return []
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()

    diff = difflib.unified_diff(
        lines(old), lines(new), "configuration (applied)", "configuration (new)", lineterm=""
    )
    return "\n".join(diff)
