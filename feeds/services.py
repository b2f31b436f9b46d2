"""What a feed request writes: the outcome a feed-driven device reports by checking again
(electron-updater, Tauri, Velopack and Sparkle send no status)."""

from core.exceptions import ApiError
from releases.catalogue import catalogue_for_product
from releases.models import UpdateSession
from releases.services.sessions import session_id, session_report
from releases.versions import parse_version


def feed_device_on(*, principal, product_id, version: str | None) -> None:
    """A device (device token) checking a feed on `version`, newer than the version Relais
    knew it on: it installed that release, so its update session closes as COMPLETED (the
    row is made if the device never reported), its version is recorded, and the rollout's
    failure rate counts it. Nothing when the version is unchanged (the usual poll: no
    write), older, unknown to the catalogue, or a release never offered to the device."""
    device = getattr(principal, "device", None)
    if device is None or not version or version == device.app_version:
        return
    try:
        current = parse_version(version)
        if device.app_version and parse_version(device.app_version) >= current:
            return
    except ValueError:
        return
    release = next((r for r in catalogue_for_product(product_id) if r.semver == current), None)
    if release is None:
        return
    try:
        session_report(
            license=device.license,
            device=device,
            session=session_id(device.pk, release.id),
            status=UpdateSession.Status.COMPLETED,
            from_version=device.app_version,
        )
    except ApiError:  # not a release this device could have been offered: not its session
        return
