"""ITStock's realtime push of a forced update: `force-update` to each targeted device's room,
carrying what the update check would answer (`version`, `downloadUrl`, `checksum`, `size`,
`sessionId`, `releaseNotes`, …), so the seed's client downloads, verifies and reports
without checking again. Rooms are per device row, so a hardware id shared by two fleets
reaches only the device the release is for.

Forcing is the rollouts' (releases.services.rollouts.rollout_start with `forced`). Each time
a forced rollout's cohort grows (it starts, now or when its schedule is due, and each stage
it advances to), realtime's subscriber to `rollout.started` / `rollout.advanced` queues a
task that calls `push_forced_rollout` here with that stage: the devices that entered the
cohort at it are pushed once (releases does not import realtime)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from core.exceptions import ApiError
from devices.models import Device
from devices.windows import window_open
from releases.catalogue import CatalogueRelease, catalogue_build, rollout_state
from releases.cohorts import in_audience, in_cohort
from releases.manifests import offer_signed_fields
from releases.models import Release, Rollout
from releases.services.check import device_audience, pick_artifact, release_eligible
from releases.services.sessions import session_id
from releases.versions import parse_version

from .push import emit_to_room
from .state import device_room

PUSHED_STATUSES = (Rollout.Status.RUNNING, Rollout.Status.PAUSED, Rollout.Status.COMPLETED)


def _catalogue_entry(release: Release) -> CatalogueRelease | None:
    """The release as the update check sees it, read now (a Celery worker's memoised
    catalogue may be a poll interval behind the rollout that queued this push)."""
    wanted = str(release.pk)
    return next(
        (entry for entry in catalogue_build(release.product_id) if entry.id == wanted), None
    )


def _newer(entry: CatalogueRelease, device: Device) -> bool:
    try:
        return not device.app_version or parse_version(device.app_version) < entry.semver
    except (ValueError, TypeError, ApiError):  # a version the device made up: offer it
        return True


def force_update_message(device: Device, entry: CatalogueRelease) -> dict | None:
    """The `force-update` for `device`: the fields of the update check's offer (the
    download route the check names, the session id it derives, the signed manifest when
    signing is on), or None when the check would not offer `entry` to the device (another
    channel, tenant or maintenance period, no artifact for its platform, already newer)."""
    audience = device_audience(device)
    if not release_eligible(entry, audience) or not _newer(entry, device):
        return None
    artifact = pick_artifact(entry, audience.platform, audience.guessed)
    if artifact is None:
        return None
    base = settings.RELAIS_PUBLIC_URL.rstrip("/")
    return {
        "version": entry.version,
        "downloadUrl": base + reverse("update-download", args=[artifact.id]),
        "mandatory": True,
        "checksum": artifact.sha256,
        "sha512": artifact.sha512,
        "size": artifact.size,
        "releaseNotes": entry.notes,
        "sessionId": str(session_id(device.pk, entry.id)),
        "releaseId": entry.id,
        "artifactId": artifact.id,
        "channel": entry.channel,
        "publishedAt": entry.published_at.isoformat().replace("+00:00", "Z"),
        "vendorSignature": artifact.vendor_signature or None,
    } | offer_signed_fields(artifact, True)


def _emit(release: Release, devices, *, respect_windows: bool = False) -> int:
    """Emit after commit to each device the release is for; returns how many."""
    if release.status != Release.Status.PUBLISHED:
        raise ApiError("RELEASE_NOT_PUBLISHED", "Only a published release can be forced.", 409)
    entry = _catalogue_entry(release)
    pairs = []
    for device in devices:
        if respect_windows and not window_open(device):
            continue  # held like its update check: it takes the release inside its window
        message = force_update_message(device, entry) if entry is not None else None
        if message is not None:
            pairs.append((device_room(device), message))
    transaction.on_commit(lambda: [emit_to_room("force-update", m, r) for r, m in pairs])
    return len(pairs)


def _scoped(release: Release, devices):
    scope = Q(product_id=release.product_id, status=Device.Status.ACTIVE)
    if release.tenant_id:
        scope &= Q(tenant_id=release.tenant_id)
    return devices.filter(scope).select_related("license", "tenant")


def push_force_update(*, release: Release, devices=None, hardware_ids=None, tenant=None) -> int:
    """Emit `force-update` to the rooms of `devices` (rows, ids or a queryset) or of
    `hardware_ids` (within `tenant` when given) that may install `release`; returns how
    many were sent. A device not connected gets the release at its next update check."""
    if devices is None:
        devices = Device.objects.filter(hardware_id__in=list(hardware_ids or []))
        if tenant is not None:
            devices = devices.filter(tenant=tenant)
    elif not hasattr(devices, "filter"):
        devices = Device.objects.filter(pk__in=[getattr(d, "pk", d) for d in devices])
    return _emit(release, _scoped(release, devices).iterator(chunk_size=500))


def push_forced_rollout(*, rollout_id, stage: int | None = None) -> int:
    """`force-update` to the devices that entered a forced rollout's cohort at `stage` (its
    current one when None): in its audience (its devices, else its tenants' devices, else
    every device of the product), in the cohort at that stage's percent and not at the
    previous stage's. Devices outside their maintenance window are left to their first
    check inside it, unless the rollout overrides windows."""
    rollout = Rollout.objects.select_related("release").filter(pk=rollout_id).first()
    if rollout is None or not rollout.forced or rollout.status not in PUSHED_STATUSES:
        return 0
    stage = rollout.stage if stage is None else stage
    if not 0 <= stage < len(rollout.stages) or stage > rollout.stage:
        return 0
    percent = rollout.stages[stage]["percent"]
    before = rollout.stages[stage - 1]["percent"] if stage else 0
    state, release_id = rollout_state(rollout), rollout.release_id
    devices = Device.objects.all()
    if rollout.target_device_ids or rollout.target_tenant_ids:
        devices = devices.filter(
            Q(pk__in=rollout.target_device_ids) | Q(tenant_id__in=rollout.target_tenant_ids)
        )
    entering = (
        device
        for device in _scoped(rollout.release, devices).iterator(chunk_size=500)
        if state is not None
        and in_audience(state, device_id=device.pk, tenant_id=device.tenant_id)
        and in_cohort(release_id, device.pk, percent)
        and not in_cohort(release_id, device.pk, before)
    )
    return _emit(rollout.release, entering, respect_windows=not rollout.overrides_windows)
