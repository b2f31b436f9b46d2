"""The update check: what a device is offered, from the catalogue (no write, no query when
warm); shared by the canonical API and the seeds' dialects."""

import bisect
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.metrics import UPDATE_CHECKS
from devices.models import Device
from devices.platforms import (
    channels_seen_by,
    platform_from_os,
    validate_channel,
    validate_platform,
)
from devices.services.devices import device_seen
from devices.windows import window_open

from ..catalogue import CatalogueArtifact, CatalogueRelease, catalogue_for_product
from ..cohorts import CLOSED, GATED, forced_for, gate, in_rollout, reached, staged
from ..versions import version_or_refuse


def _count(product_id, outcome: str) -> None:
    """An update check's outcome in relais_update_checks (core.metrics); the scrape names
    the product by its slug (ops.metrics), the check itself reads nothing more."""
    UPDATE_CHECKS.labels(str(product_id), outcome).inc()


@dataclass(frozen=True)
class Offer:
    release: CatalogueRelease
    artifact: CatalogueArtifact
    mandatory: bool


@dataclass(frozen=True)
class Audience:
    """Who asks: what the catalogue is filtered by."""

    tenant_id: str | None  # None: anonymous, sees only unrestricted releases
    channel: str = "stable"
    platform: str = ""
    updates_until: datetime | None = None
    guessed: bool = False  # `platform` read from the OS version, not stated by the device
    # Rollouts only (never part of a shelf's key): None for a dialect that checks per
    # tenant, or anonymous.
    device_id: str | None = None
    # Anonymous updaters that apply the rollout's percent themselves (electron-updater's
    # stagingPercentage): shown a release its rollout offers to everybody (cohorts.staged).
    staged: bool = False


def pick_artifact(
    release: CatalogueRelease, platform: str, guessed: bool = False
) -> CatalogueArtifact | None:
    """The artifact for `platform`, else the `any` one; a device that does not say its
    platform gets `platform_less_artifact`, or, when its OS version names one, the only
    artifact of that OS (its architecture was assumed)."""
    if platform and platform in release.artifacts:
        return release.artifacts[platform]
    if "any" in release.artifacts:
        return release.artifacts["any"]
    if guessed:
        family = platform.split("-")[0] + "-"
        same_os = [a for name, a in release.artifacts.items() if name.startswith(family)]
        return same_os[0] if len(same_os) == 1 else None
    if not platform:
        return platform_less_artifact(release)
    return None


class PlatformRequired(ApiError):
    """400: a client that names no platform asked for a release built for several."""

    def __init__(self, platforms: list[str]):
        message = _("This release is built for several platforms: name yours (%(list)s).")
        super().__init__(
            code="PLATFORM_REQUIRED",
            message=message % {"list": ", ".join(platforms)},
            status_code=400,
            platforms=platforms,
        )


def platform_less_artifact(release: CatalogueRelease) -> CatalogueArtifact | None:
    """The rule for a client that names no platform (seeds 001 and 002 never do), with no
    `any` artifact: a release's only artifact; a release built for several platforms is a
    400 naming them, never a silent fall back to an older release (docs/concepts)."""
    if not release.artifacts:
        return None
    if len(release.artifacts) == 1:
        return next(iter(release.artifacts.values()))
    raise PlatformRequired(sorted(release.artifacts))


def release_hidden_from(*, release_tenant_id, published_at, tenant_id, updates_until) -> str | None:
    """Why a release is not for a license's devices, or None when it is: "TENANT" (it is
    restricted to another tenant) or "MAINTENANCE" (published after the maintenance end).
    One rule for the check, the dialects and the download."""
    if release_tenant_id and str(release_tenant_id) != str(tenant_id):
        return "TENANT"
    if updates_until and published_at and published_at > updates_until:
        return "MAINTENANCE"
    return None


def release_eligible(release: CatalogueRelease, audience: Audience) -> bool:
    """Whether `release` may be offered to `audience` by its channel, its tenant and the
    license's support period (the rollout decides apart: release_reached)."""
    if release.channel not in channels_seen_by(audience.channel):
        return False
    hidden = release_hidden_from(
        release_tenant_id=release.tenant_id,
        published_at=release.published_at,
        tenant_id=audience.tenant_id,
        updates_until=audience.updates_until,
    )
    return hidden is None


def release_reached(release: CatalogueRelease, audience: Audience) -> bool:
    """Offered by its rollout to this device at some point: a device offered a release
    before its rollout halted may still open its update session."""
    who = {"device_id": audience.device_id, "tenant_id": audience.tenant_id}
    return release.rollout is None or reached(release.rollout, release.id, **who)


def _mandatory(release: CatalogueRelease, audience: Audience) -> bool:
    who = {"device_id": audience.device_id, "tenant_id": audience.tenant_id}
    return release.is_mandatory or forced_for(release.rollout, **who)


def latest_offer(
    *, product_id, audience: Audience, current_version: str | None, counted: bool = True
) -> Offer | None:
    """The highest eligible release newer than `current_version` (any, when None). The offer
    is mandatory when it or any eligible release it skips over is mandatory.

    A lookup, not a walk: what an audience is offered does not depend on the version it
    runs, only whether it gets it does. So each audience's shelf (its best release and the
    highest mandatory release at or under it) is computed once per worker and catalogue
    generation; a check then compares its version with those two.

    Releases under a rollout that the shelf cannot decide for the whole audience (see
    cohorts.gate) are kept apart on it, newest first; the check decides those few for the
    device (`in_rollout`: a hash and a comparison each), still without a query."""
    try:
        validate_platform(audience.platform)
        validate_channel(audience.channel)
        current = version_or_refuse(current_version) if current_version else None
    except ApiError:
        _count(product_id, "refused")
        raise
    catalogue = catalogue_for_product(product_id)
    cut = len(catalogue.published)
    if audience.updates_until is not None:
        cut = bisect.bisect_right(catalogue.published, audience.updates_until)
    tenant = audience.tenant_id if audience.tenant_id in catalogue.restricted else None
    key = (audience.channel, tenant, audience.platform, audience.guessed, cut)
    shelf = catalogue.shelves.get(key)
    if shelf is None:
        shelf = catalogue.shelves[key] = _shelf(catalogue, audience)
    best, mandatory_from, gated = shelf
    mandatory = mandatory_from is not None and (current is None or mandatory_from > current)
    who = {"device_id": audience.device_id, "tenant_id": audience.tenant_id}
    for release, artifact in gated:  # newest first
        if current is not None and release.semver <= current:
            break
        if not in_rollout(release.rollout, release.id, **who) and not (
            audience.staged and staged(release.rollout)
        ):
            continue
        if best is None or release.semver > best[0].semver:
            if artifact is None:
                continue
            best = (release, artifact)
        # At or under the offer and newer than the device's version: skipped over.
        mandatory = mandatory or _mandatory(release, audience)
    if best is None or (current is not None and best[0].semver <= current):
        if counted:
            _count(product_id, "not_offered")
        return None
    if isinstance(best[1], PlatformRequired):
        _count(product_id, "refused")
        raise best[1]
    offer = stepping_stone(
        catalogue,
        key,
        audience,
        current,
        Offer(release=best[0], artifact=best[1], mandatory=mandatory),
    )
    if counted:  # else the caller counts what it answers (update_check: windows)
        _count(product_id, "offered" if offer is not None else "not_offered")
    return offer


def stepping_stone(catalogue, key, audience: Audience, current, offer: Offer) -> Offer | None:
    """`offer`, unless a stepping stone lies between the device's version and it: then the
    oldest such stone (every older device installs it before anything newer), mandatory
    when the offer was, or nothing while the stone is not offered to this device (its
    rollout has not reached it, or halted; no artifact for its platform). A caller whose
    version is unknown (`current` None) gets `offer`. The audience's stones (eligible by
    channel, tenant and maintenance end; oldest first) are kept on its shelf's key, so a
    check still walks nothing."""
    if current is None:
        return offer
    stones = catalogue.shelves.get(("stones", *key))
    if stones is None:
        stones = catalogue.shelves[("stones", *key)] = tuple(
            (r, _pick(r, audience))
            for r in reversed(catalogue)
            if r.is_stepping_stone and release_eligible(r, audience)
        )
    for release, artifact in stones:
        if release.semver <= current:
            continue
        if release.semver >= offer.release.semver:
            return offer
        who = {"device_id": audience.device_id, "tenant_id": audience.tenant_id}
        offered = in_rollout(release.rollout, release.id, **who) or (
            audience.staged and staged(release.rollout)
        )
        if artifact is None or not offered:
            return None
        if isinstance(artifact, PlatformRequired):
            raise artifact
        mandatory = offer.mandatory or _mandatory(release, audience)
        return Offer(release=release, artifact=artifact, mandatory=mandatory)
    return offer


def _pick(release: CatalogueRelease, audience: Audience):
    """pick_artifact, its refusal kept as the pick (a shelf is cached; the refusal applies
    only to a device the release is newer than)."""
    try:
        return pick_artifact(release, audience.platform, audience.guessed)
    except PlatformRequired as refusal:
        return refusal


def _shelf(catalogue, audience: Audience):
    """(best (release, artifact) or None, version of the highest eligible mandatory release
    at or under the best one, or None, the gated releases (release, artifact or None) met
    on the way): one walk over the catalogue, per audience. Halted releases are left out;
    a forced rollout completed at 100 % for everyone makes its release mandatory."""
    best, mandatory_from, gated = None, None, []
    for release in catalogue:  # newest first
        if not release_eligible(release, audience):
            continue
        kind = gate(release.rollout)
        if kind == CLOSED:
            continue
        if kind == GATED:
            gated.append((release, _pick(release, audience)))
            continue
        if best is None:
            artifact = _pick(release, audience)
            if artifact is None:
                continue
            best = (release, artifact)
        if release.is_mandatory or (release.rollout is not None and release.rollout.forced):
            mandatory_from = release.semver
            break
    return best, mandatory_from, tuple(gated)


def device_audience(
    device: Device, *, platform: str = "", channel: str = "", os_version: str = ""
) -> Audience:
    """Who `device` is for the catalogue. Its platform is the one the check names, else the
    one it registered with, else the one its OS version names (x86_64 unless stated)."""
    platform = platform or device.platform
    guessed = ""
    if not platform:
        guessed = platform_from_os(os_version or device.os_version)
    return Audience(
        tenant_id=str(device.tenant_id),
        channel=channel or device.channel,
        platform=platform or guessed,
        updates_until=device.license.updates_until,
        guessed=bool(guessed),
        device_id=str(device.pk),
    )


def window_holds(offer: Offer, device: Device, now: datetime | None = None) -> bool:
    """Whether the device's maintenance window holds `offer` back now (devices.windows):
    outside its window a device is offered only a mandatory update, and not even that when
    it is mandatory only because a forced rollout that respects windows targets it."""
    rollout, release = offer.release.rollout, offer.release
    held_by_rollout = (
        rollout is not None
        and not rollout.overrides_windows
        and not release.is_mandatory
        and forced_for(rollout, device_id=str(device.pk), tenant_id=str(device.tenant_id))
    )
    if offer.mandatory and not held_by_rollout:
        return False
    return not window_open(device, now)


def update_check(
    *,
    device: Device,
    version: str | None,
    platform: str = "",
    channel: str = "",
    os_version: str = "",
    now: datetime | None = None,
) -> Offer | None:
    """What `device` should install, reading only the cached catalogue: no query, no write
    (the contact it records for the seat sweep goes through a task). Nothing while its
    maintenance window holds the offer (`window_holds`)."""
    device_seen(device=device)
    audience = device_audience(device, platform=platform, channel=channel, os_version=os_version)
    offer = latest_offer(
        product_id=device.product_id,
        audience=audience,
        current_version=version or device.app_version or None,
        counted=False,
    )
    if offer is not None and window_holds(offer, device, now):
        _count(device.product_id, "held")
        return None
    _count(device.product_id, "offered" if offer is not None else "not_offered")
    return offer
