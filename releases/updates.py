"""The update check, status reports and download authorisation: one service each, shared
by the canonical API and the seeds' dialects."""

import bisect
import functools
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.exceptions import ApiError
from devices.models import Device
from devices.platforms import (
    channels_seen_by,
    platform_from_os,
    validate_channel,
    validate_platform,
)
from devices.services import device_seen, device_set_version, device_touch
from licensing.models import License, Product

from .catalogue import CatalogueArtifact, CatalogueRelease, catalogue_for_product
from .cohorts import CLOSED, GATED, forced_for, gate, in_rollout, reached
from .models import Artifact, Release, UpdateSession
from .outcomes import outcome_count
from .versions import version_or_refuse

SESSION_NAMESPACE = uuid.UUID("7f0c4c1e-9a55-4a57-a7c5-52656c616973")


@functools.lru_cache(maxsize=4096)
def _release_mask(release_id) -> int:
    return uuid.uuid5(SESSION_NAMESPACE, str(release_id)).int


def session_id(device_id, release_id) -> uuid.UUID:
    """Stable per device and release: repeated checks hand out the same id, write nothing.
    The device id masked by a digest of the release id, so that a report naming the session
    alone (license key, no hardwareId) finds its device by primary key: one candidate per
    release of the catalogue, never a scan of the license's devices."""
    return uuid.UUID(int=uuid.UUID(str(device_id)).int ^ _release_mask(release_id))


def session_device_id(sid: uuid.UUID, release_id) -> uuid.UUID:
    """The device a session id names, if it was derived for `release_id`."""
    return uuid.UUID(int=sid.int ^ _release_mask(release_id))


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


def pick_artifact(
    release: CatalogueRelease, platform: str, guessed: bool = False
) -> CatalogueArtifact | None:
    """The artifact for `platform`, else the `any` one; a device that does not say its
    platform takes a release's only artifact, or, when its OS version names one, the only
    artifact of that OS (its architecture was assumed)."""
    if platform and platform in release.artifacts:
        return release.artifacts[platform]
    if "any" in release.artifacts:
        return release.artifacts["any"]
    if guessed:
        family = platform.split("-")[0] + "-"
        same_os = [a for name, a in release.artifacts.items() if name.startswith(family)]
        return same_os[0] if len(same_os) == 1 else None
    if not platform and len(release.artifacts) == 1:
        return next(iter(release.artifacts.values()))
    return None


def release_hidden_from(*, release_tenant_id, published_at, tenant_id, updates_until) -> str | None:
    """Why a release is not for a license's devices, or None when it is: "TENANT" (it is
    restricted to another tenant) or "MAINTENANCE" (published after the maintenance end).
    One rule for the check, the dialects and the download."""
    if release_tenant_id and str(release_tenant_id) != str(tenant_id):
        return "TENANT"
    if updates_until and published_at and published_at > updates_until:
        return "MAINTENANCE"
    return None


def _eligible(release: CatalogueRelease, audience: Audience) -> bool:
    if release.channel not in channels_seen_by(audience.channel):
        return False
    hidden = release_hidden_from(
        release_tenant_id=release.tenant_id,
        published_at=release.published_at,
        tenant_id=audience.tenant_id,
        updates_until=audience.updates_until,
    )
    return hidden is None


def _reached(release: CatalogueRelease, audience: Audience) -> bool:
    """Offered by its rollout to this device at some point: a device offered a release
    before its rollout halted may still open its update session."""
    who = {"device_id": audience.device_id, "tenant_id": audience.tenant_id}
    return release.rollout is None or reached(release.rollout, release.id, **who)


def _mandatory(release: CatalogueRelease, audience: Audience) -> bool:
    who = {"device_id": audience.device_id, "tenant_id": audience.tenant_id}
    return release.is_mandatory or forced_for(release.rollout, **who)


def latest_offer(*, product_id, audience: Audience, current_version: str | None) -> Offer | None:
    """The highest eligible release newer than `current_version` (any, when None). The offer
    is mandatory when it or any eligible release it skips over is mandatory.

    A lookup, not a walk: what an audience is offered does not depend on the version it
    runs, only whether it gets it does. So each audience's shelf (its best release and the
    highest mandatory release at or under it) is computed once per worker and catalogue
    generation; a check then compares its version with those two.

    Releases under a rollout that the shelf cannot decide for the whole audience (see
    cohorts.gate) are kept apart on it, newest first; the check decides those few for the
    device (`in_rollout`: a hash and a comparison each), still without a query."""
    validate_platform(audience.platform)
    validate_channel(audience.channel)
    current = version_or_refuse(current_version) if current_version else None
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
        if not in_rollout(release.rollout, release.id, **who):
            continue
        if best is None or release.semver > best[0].semver:
            if artifact is None:
                continue
            best = (release, artifact)
        # At or under the offer and newer than the device's version: skipped over.
        mandatory = mandatory or _mandatory(release, audience)
    if best is None or (current is not None and best[0].semver <= current):
        return None
    return Offer(release=best[0], artifact=best[1], mandatory=mandatory)


def _shelf(catalogue, audience: Audience):
    """(best (release, artifact) or None, version of the highest eligible mandatory release
    at or under the best one, or None, the gated releases (release, artifact or None) met
    on the way): one walk over the catalogue, per audience. Halted releases are left out;
    a forced rollout completed at 100 % for everyone makes its release mandatory."""
    best, mandatory_from, gated = None, None, []
    for release in catalogue:  # newest first
        if not _eligible(release, audience):
            continue
        kind = gate(release.rollout)
        if kind == CLOSED:
            continue
        if kind == GATED:
            gated.append((release, pick_artifact(release, audience.platform, audience.guessed)))
            continue
        if best is None:
            artifact = pick_artifact(release, audience.platform, audience.guessed)
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


def update_check(
    *,
    device: Device,
    version: str | None,
    platform: str = "",
    channel: str = "",
    os_version: str = "",
) -> Offer | None:
    """What `device` should install, reading only the cached catalogue: no query, no write
    (the contact it records for the seat sweep goes through a task)."""
    device_seen(device=device)
    audience = device_audience(device, platform=platform, channel=channel, os_version=os_version)
    return latest_offer(
        product_id=device.product_id,
        audience=audience,
        current_version=version or device.app_version or None,
    )


# --- Status reports --------------------------------------------------------------------

S = UpdateSession.Status
_RANK = {S.PENDING: 0, S.DOWNLOADING: 1, S.DOWNLOADED: 2, S.INSTALLING: 3, S.COMPLETED: 4}
_TERMINAL = {S.COMPLETED, S.FAILED, S.ROLLED_BACK}
APPLY, STALE, RETRY, CONFLICT = "apply", "stale", "retry", "conflict"


def transition_kind(current: str, new: str, percent: int | None = None, at: int = 0) -> str:
    """What a report of `new` (at `percent`) does to a session in `current` (at `at` %).

    APPLY: forward along PENDING → DOWNLOADING → DOWNLOADED → INSTALLING → COMPLETED (steps
    may be skipped, a repeat is a progress report), FAILED from any unfinished state,
    ROLLED_BACK after INSTALLING or COMPLETED.
    RETRY: after FAILED or ROLLED_BACK, PENDING or DOWNLOADING at 0 % starts a new attempt.
    STALE: a report older than the session's state (the CRM client posts progress without
    waiting): acknowledged, nothing changes.
    CONFLICT: what no ordering of one attempt's reports explains (COMPLETED, then
    DOWNLOADING; FAILED after COMPLETED; ROLLED_BACK of what was never installed)."""
    if current in (S.FAILED, S.ROLLED_BACK) and (
        new == S.PENDING or (new == S.DOWNLOADING and not percent)
    ):
        return RETRY
    if new == S.ROLLED_BACK:
        if current in (S.INSTALLING, S.COMPLETED, S.ROLLED_BACK):
            return APPLY
        return CONFLICT
    if current == S.ROLLED_BACK:
        return STALE  # the rolled-back attempt's late reports
    if new == S.FAILED:
        return CONFLICT if current == S.COMPLETED else APPLY
    if current == S.FAILED:
        return CONFLICT if new == S.COMPLETED else STALE
    if current == S.COMPLETED:
        return APPLY if new == S.COMPLETED else CONFLICT
    if _RANK[new] < _RANK[current]:
        return STALE
    if new == current == S.DOWNLOADING and percent is not None and percent < at:
        return STALE
    return APPLY


def transition_allowed(current: str, new: str, percent: int | None = None) -> bool:
    """Whether a report of `new` changes a session in `current` (see transition_kind)."""
    return transition_kind(current, new, percent) in (APPLY, RETRY)


def _session_target(license: License, device: Device | None, sid: uuid.UUID):
    """(device, catalogue release) a session id stands for, among the caller's devices: ids
    are derived, so a foreign or invented id matches nothing. Two indexed queries at most,
    whatever the number of devices: the session row, else the one device (by primary key)
    the id names among one candidate per release."""
    existing = (
        UpdateSession.objects.filter(pk=sid, device__license=license)
        .select_related("device__tenant")
        .first()
    )
    if existing is not None and (device is None or existing.device_id == device.pk):
        existing.device.license = license
        return existing.device, existing.release_id, existing.to_version
    catalogue = catalogue_for_product(license.product_id)
    candidates = {session_device_id(sid, entry.id): entry for entry in catalogue}
    if device is not None:
        found = device if device.pk in candidates else None
    else:
        found = (
            Device.objects.filter(pk__in=candidates, license=license, status=Device.Status.ACTIVE)
            .select_related("tenant")
            .first()
        )
    if found is not None:
        found.license = license
        entry = candidates[found.pk]
        # Only a release the device could have been offered opens a session. A check may
        # name any channel and platform, so those are taken at their widest here; the
        # tenant restriction and the maintenance end are the device's own.
        audience = replace(device_audience(found), channel="alpha", platform="")
        if _eligible(entry, audience) and _reached(entry, audience) and entry.artifacts:
            return found, entry.id, entry.version
    raise ApiError("UNKNOWN_SESSION", _("No update session with this id for this device."), 404)


def session_report(
    *,
    license: License,
    device: Device | None,
    session: uuid.UUID,
    status: str,
    percent: int | None = None,
    error: str = "",
    from_version: str = "",
    duration: int | None = None,
) -> UpdateSession:
    """Record a status report. The row is created on the first report; COMPLETED sets the
    device's version; FAILED keeps the error. A late report is acknowledged without change
    (`row.stale`); after FAILED or ROLLED_BACK, a new start reopens the row as the next
    attempt."""
    now = timezone.now()
    device, release_id, to_version = _session_target(license, device, session)
    with transaction.atomic():
        row = UpdateSession.objects.select_for_update().filter(pk=session).first()
        if row is None:
            row, _created = UpdateSession.objects.get_or_create(
                pk=session,
                defaults={
                    "device": device,
                    "release_id": release_id,
                    "from_version": from_version or device.app_version,
                    "to_version": to_version,
                    "started_at": now,
                },
            )
            row = UpdateSession.objects.select_for_update().get(pk=row.pk)
        kind = transition_kind(row.status, status, percent, row.percent)
        if kind == CONFLICT:
            raise ApiError(
                "INVALID_TRANSITION",
                _("Cannot go from %(current)s to %(new)s.")
                % {"current": row.status, "new": status},
                409,
                currentStatus=row.status,
            )
        device_touch(device_id=device.pk, seen_at=now)
        row.stale = kind == STALE
        if row.stale:
            return row
        previous = row.status
        if kind == RETRY:
            row.attempt += 1
            row.started_at, row.completed_at, row.duration_seconds = now, None, None
            row.percent, row.error = 0, ""
        row.status = status
        row.updated_at = now
        if percent is not None:
            row.percent = percent
        if status in (S.DOWNLOADED, S.INSTALLING, S.COMPLETED):
            row.percent = 100
        if status == S.FAILED:
            row.error = error or row.error
        if from_version:
            row.from_version = from_version
        if duration is not None:
            row.duration_seconds = duration
        if status == S.COMPLETED:
            row.completed_at = now
            device_set_version(device=device, version=row.to_version)
        if status == S.ROLLED_BACK and previous == S.COMPLETED and row.from_version:
            device_set_version(device=device, version=row.from_version)
        row.save()
        if status != previous or kind == RETRY:
            outcome_count(device=device, status=status, at=now)
            events.publish(
                f"update.{status.lower()}",
                tenant=device.tenant,
                payload={
                    "sessionId": row.pk,
                    "deviceId": device.pk,
                    "releaseId": row.release_id,
                    "fromVersion": row.from_version,
                    "toVersion": row.to_version,
                    "error": row.error,
                    "attempt": row.attempt,
                },
            )
    return row


# --- Downloads -------------------------------------------------------------------------


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
