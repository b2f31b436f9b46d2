"""ITStock's realtime push of a forced update: `force-update {version, downloadUrl,
mandatory}` to each targeted device's room. Rooms are per device row, so a hardware id
shared by two fleets reaches only the device the release is for."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from devices.models import Device
from releases.links import artifact_url
from releases.models import Release

from . import events
from .commands import release_artifact_for
from .realtime.push import emit_to_room
from .realtime.state import device_room


def _targets(release: Release, devices, hardware_ids, tenant):
    if devices is None:
        devices = Device.objects.filter(hardware_id__in=list(hardware_ids or []))
        if tenant is not None:
            devices = devices.filter(tenant=tenant)
    else:
        devices = Device.objects.filter(pk__in=[getattr(d, "pk", d) for d in devices])
    scope = Q(product_id=release.product_id, status=Device.Status.ACTIVE)
    if release.tenant_id:
        scope &= Q(tenant_id=release.tenant_id)
    return devices.filter(scope).select_related("license", "tenant")


def push_force_update(
    *, release: Release, devices=None, hardware_ids=None, tenant=None, actor=None
) -> int:
    """Emit `force-update` to the rooms of `devices` (rows or ids) or of `hardware_ids`
    (within `tenant` when given) that may install `release`; returns how many were sent."""
    if release.status != Release.Status.PUBLISHED:
        raise ApiError("RELEASE_NOT_PUBLISHED", _("Only a published release can be forced."), 409)
    sent = []
    for device in _targets(release, devices, hardware_ids, tenant):
        try:
            artifact = release_artifact_for(device, release)
        except ApiError:
            continue
        message = {
            "version": release.version,
            "downloadUrl": artifact_url(artifact),
            "mandatory": True,
        }
        sent.append((device, message))
    with transaction.atomic():
        by_tenant = {}
        for device, _message in sent:
            by_tenant.setdefault(device.tenant, 0)
            by_tenant[device.tenant] += 1
        for tenant_row, count in by_tenant.items():
            payload = {
                "releaseId": release.pk,
                "product": release.product.slug,
                "version": release.version,
                "channel": release.channel,
                "status": release.status,
                "devices": count,
            }
            events.publish("update.forced", tenant=tenant_row, payload=payload, actor=actor)
        pairs = [(device_room(d), m) for d, m in sent]
        transaction.on_commit(lambda: [emit_to_room("force-update", m, r) for r, m in pairs])
    return len(sent)
