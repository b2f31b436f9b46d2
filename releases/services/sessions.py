"""Update sessions: their ids (derived from device and release), and the status reports
that move them (the state machine)."""

import functools
import uuid
from dataclasses import replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from devices.models import Device
from devices.services.devices import device_set_version, device_touch
from licensing.models import License

from ..catalogue import catalogue_for_product
from ..models import UpdateSession
from .check import device_audience, release_eligible, release_reached
from .outcomes import outcome_count

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


# --- Status reports --------------------------------------------------------------------

S = UpdateSession.Status
_RANK: dict[str, int] = {
    S.PENDING: 0,
    S.DOWNLOADING: 1,
    S.DOWNLOADED: 2,
    S.INSTALLING: 3,
    S.COMPLETED: 4,
}
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
        if (
            release_eligible(entry, audience)
            and release_reached(entry, audience)
            and entry.artifacts
        ):
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
    device's version; FAILED and ROLLED_BACK keep the error. A late report is acknowledged without change
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
        if status in (S.FAILED, S.ROLLED_BACK):
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
