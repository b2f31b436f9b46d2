"""Nodes that report by tenant but name themselves (the CyberSensei dialect's `nodeId`):
each becomes a device of its tenant, so it has a last-seen time, offline alerts, latest
metrics and a version in the fleet view like any other."""

from django.db import transaction
from django.utils import timezone

from core.locks import advisory_xact_lock
from core.services import events
from licensing.models import License

from ..models import Device
from .devices import seat_available


def _payload(device: Device) -> dict:
    return {"deviceId": device.pk, "hardwareId": device.hardware_id, "licenseId": device.license_id}


def node_identify(*, license: License, hardware_id: str, version: str = "") -> Device | None:
    """The device a node reports as: found by its id among its tenant's devices of the
    license's product (one query on the unique index), registered on its first report
    within the license's seats, its version kept up to date. None when no seat is free or
    staff deactivated it: its reports then stay in the tenant's series, as before."""
    device = Device.objects.filter(
        tenant_id=license.tenant_id, product_id=license.product_id, hardware_id=hardware_id
    ).first()
    if device is None:
        device = _node_register(license=license, hardware_id=hardware_id, version=version)
    if device is None or not device.is_active:
        return None
    if version and device.app_version != version:
        with transaction.atomic():
            if (
                Device.objects.filter(pk=device.pk)
                .exclude(app_version=version)
                .update(app_version=version)
            ):
                device.app_version = version
                events.publish(
                    "device.updated",
                    tenant=license.tenant,
                    payload=_payload(device) | {"changed": ["app_version"]},
                )
    return device


def _node_register(*, license: License, hardware_id: str, version: str) -> Device | None:
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        advisory_xact_lock("device", locked.tenant_id, locked.product_id, hardware_id)
        device = Device.objects.filter(
            tenant_id=locked.tenant_id, product_id=locked.product_id, hardware_id=hardware_id
        ).first()
        if device is not None:  # registered meanwhile by a concurrent report
            return device
        if not seat_available(locked):
            return None
        device = Device(
            tenant_id=locked.tenant_id,
            product_id=locked.product_id,
            license=locked,
            hardware_id=hardware_id,
            name=hardware_id,
            app_version=version,
            last_seen_at=timezone.now(),
        )
        device.full_clean(validate_unique=False)
        device.save(force_insert=True)
        events.publish("device.registered", tenant=license.tenant, payload=_payload(device))
    return device
