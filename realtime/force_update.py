"""ITStock's realtime push of a forced update: `force-update {version, downloadUrl,
mandatory}` to each targeted device's room. Rooms are per device row, so a hardware id
shared by two fleets reaches only the device the release is for.

Forcing is the rollouts' (releases.services.rollouts.rollout_start with `forced`, which records
`update.forced`); when such a rollout starts at 100 %, a task calls `push_forced_rollout`
here (queued by realtime's subscriber to `update.forced`: releases does not import realtime)."""

from django.db import transaction
from django.db.models import Q

from commands.selectors import release_artifact_for
from core.exceptions import ApiError
from devices.models import Device
from releases.links import artifact_url
from releases.models import Release, Rollout

from .push import emit_to_room
from .state import device_room


def _targets(release: Release, devices, hardware_ids, tenant):
    if devices is None:
        devices = Device.objects.filter(hardware_id__in=list(hardware_ids or []))
        if tenant is not None:
            devices = devices.filter(tenant=tenant)
    elif not hasattr(devices, "filter"):
        devices = Device.objects.filter(pk__in=[getattr(d, "pk", d) for d in devices])
    scope = Q(product_id=release.product_id, status=Device.Status.ACTIVE)
    if release.tenant_id:
        scope &= Q(tenant_id=release.tenant_id)
    return devices.filter(scope).select_related("license", "tenant")


def push_force_update(*, release: Release, devices=None, hardware_ids=None, tenant=None) -> int:
    """Emit `force-update` to the rooms of `devices` (rows, ids or a queryset) or of
    `hardware_ids` (within `tenant` when given) that may install `release`; returns how
    many were sent. Emitted after commit; a device not connected gets the release at its
    next update check."""
    if release.status != Release.Status.PUBLISHED:
        raise ApiError("RELEASE_NOT_PUBLISHED", "Only a published release can be forced.", 409)
    pairs = []
    for device in _targets(release, devices, hardware_ids, tenant).iterator(chunk_size=500):
        try:
            artifact = release_artifact_for(device, release)
        except ApiError:
            continue
        message = {"version": release.version, "downloadUrl": artifact_url(artifact)}
        pairs.append((device_room(device), message | {"mandatory": True}))
    transaction.on_commit(lambda: [emit_to_room("force-update", m, r) for r, m in pairs])
    return len(pairs)


def push_forced_rollout(*, rollout_id) -> int:
    """The devices a forced rollout at 100 % targets: its devices, else its tenants'
    devices, else every device of the release's product."""
    rollout = Rollout.objects.select_related("release__product").filter(pk=rollout_id).first()
    if rollout is None or not rollout.forced or rollout.status != Rollout.Status.RUNNING:
        return 0
    if rollout.percent < 100:
        return 0  # progressive: devices take it at their next check, cohort by cohort
    devices = Device.objects.all()
    if rollout.target_device_ids:
        devices = devices.filter(pk__in=rollout.target_device_ids)
    elif rollout.target_tenant_ids:
        devices = devices.filter(tenant_id__in=rollout.target_tenant_ids)
    return push_force_update(release=rollout.release, devices=devices)
