"""Writes of the devices domain: registration (seat-limited), deactivation, tokens."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.credentials import credentials_changed
from core.exceptions import ApiError
from core.locks import advisory_xact_lock
from core.services import events
from core.services.changes import model_update
from licensing.codes import Code, license_refusal, license_status_code
from licensing.keys import secret_hash, token_display_prefix, token_generate
from licensing.models import License, Tenant
from licensing.selectors import license_by_key

from ..models import Device
from ..platforms import validate_channel, validate_platform
from .contacts import contact_note, contacts_done, contacts_take


@dataclass(frozen=True)
class Registration:
    device: Device
    token: str | None  # shown once; None when an existing device re-registers
    created: bool


def _payload(device: Device) -> dict:
    return {"deviceId": device.pk, "hardwareId": device.hardware_id, "licenseId": device.license_id}


def _new_token(device: Device) -> str:
    token = token_generate("dvt")
    device.token_hash = secret_hash(token)
    device.token_prefix = token_display_prefix(token)
    return token


def device_register(
    *,
    license_key: str,
    hardware_id: str,
    name: str = "",
    os_version: str = "",
    app_version: str = "",
    platform: str = "",
    channel: str = "",
    product: str | None = None,
    rotate_token: bool = False,
) -> Registration:
    """Register (or re-register) a device against a license's seats.

    Idempotent per hardware id: a known device is updated, keeps its seat and gets no new
    token unless `rotate_token`. The license row is locked (SELECT … FOR UPDATE on
    PostgreSQL) so concurrent registrations cannot exceed `max_devices`, and the hardware
    id too, so two licenses cannot both claim it.
    """
    validate_platform(platform)
    validate_channel(channel)
    found = license_by_key(key=license_key)
    if found is None:
        raise license_refusal(Code.NOT_FOUND)
    code = license_status_code(found, product=product or None)
    if code != Code.VALID:
        raise license_refusal(code)
    with transaction.atomic():
        license = License.objects.select_for_update().get(pk=found.pk)
        # The hardware id is unique per tenant and product, across licenses: registrations
        # on two licenses lock different rows, so they queue here, and the second sees the
        # first's device (409 HARDWARE_ID_TAKEN, as when they come one after the other).
        advisory_xact_lock("device", license.tenant_id, license.product_id, hardware_id)
        device = (
            Device.objects.select_related("license__tenant")
            .filter(
                tenant_id=license.tenant_id, product_id=license.product_id, hardware_id=hardware_id
            )
            .first()
        )
        created = device is None
        moving = False
        if device is not None:
            moving = device.license_id != license.pk
            if moving and device.is_active and license_status_code(device.license) == Code.VALID:
                raise ApiError(
                    "HARDWARE_ID_TAKEN",
                    _("This hardware id is registered with another license."),
                    409,
                )
        # A new device, a deactivated one, or one leaving a dead license takes a seat here.
        needs_seat = device is None or moving or not device.is_active
        if needs_seat and not seat_available(license):
            raise license_refusal(Code.TOO_MANY_DEVICES)
        if device is None:
            device = Device(
                tenant_id=license.tenant_id, product_id=license.product_id, license=license
            )
            device.hardware_id = hardware_id
        device.license = license
        now = timezone.now()
        changed = []
        for field, value in {
            "name": name,
            "os_version": os_version,
            "app_version": app_version,
            "platform": platform,
            "channel": channel,
        }.items():
            if value and getattr(device, field) != value:
                setattr(device, field, value)
                changed.append(field)
        device.status = Device.Status.ACTIVE
        device.deactivated_at = None
        device.last_seen_at = now
        fresh = created or moving or rotate_token or not device.token_hash
        token = _new_token(device) if fresh else None
        device.full_clean(validate_unique=False)
        device.save()
        # The CRM client registers at every start: a registration that changes nothing is
        # contact, not an event.
        if needs_seat or changed or token:
            events.publish(
                "device.registered" if needs_seat else "device.updated",
                tenant=device.tenant,
                payload=_payload(device) | ({"changed": changed} if changed else {}),
            )
    return Registration(device=device, token=token, created=created)


def seat_available(license: License) -> bool:
    """Whether `license` has a free seat, once the devices silent past their window freed
    theirs."""
    if license.max_devices is None:
        return True
    device_seats_free_silent(license=license)
    used = Device.objects.filter(license=license, status=Device.Status.ACTIVE).count()
    return used < license.max_devices


def device_deactivate(
    *, device: Device, actor=None, reason: str = "manual", silent_before=None
) -> Device:
    """Free the device's seat; its token stops working until it registers again. With
    `silent_before`, only if the device has still not been seen since then: the sweep
    must not free a seat that a registration took back a moment ago."""
    with transaction.atomic():
        rows = Device.objects.filter(pk=device.pk, status=Device.Status.ACTIVE)
        if silent_before is not None:
            rows = rows.filter(Q(last_seen_at__lt=silent_before) | Q(last_seen_at__isnull=True))
        now = timezone.now()
        if not rows.update(status=Device.Status.DEACTIVATED, deactivated_at=now, token_hash=None):
            return device
        credentials_changed()  # an UPDATE sends no signal
        device.status, device.deactivated_at, device.token_hash = (
            Device.Status.DEACTIVATED,
            now,
            None,
        )
        events.publish(
            "device.deactivated",
            tenant=device.tenant,
            payload=_payload(device) | {"reason": reason},
            actor=actor,
        )
    return device


def device_rotate_token(*, device: Device, actor=None) -> str:
    with transaction.atomic():
        token = _new_token(device)
        device.save(update_fields=["token_hash", "token_prefix"])
        events.publish(
            "device.token_rotated", tenant=device.tenant, payload=_payload(device), actor=actor
        )
    return token


def device_seats_free_silent(*, license: License | None = None, now=None) -> int:
    """Deactivate devices silent longer than their policy's heartbeat window: the window is
    computed in SQL, the silent devices are selected (and locked) in one query and freed in
    one UPDATE, whatever the fleet. A device seen again meanwhile is not: the lock holds
    off a registration taking it back until the sweep commits, and the UPDATE checks the
    silence again."""
    now = now or timezone.now()
    cutoff = ExpressionWrapper(
        Value(now) - F("license__policy__heartbeat_window"), output_field=DateTimeField()
    )
    silent = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff)
    devices = Device.objects.filter(
        silent, status=Device.Status.ACTIVE, license__policy__heartbeat_window__isnull=False
    )
    if license is not None:
        devices = devices.filter(license=license)
    with transaction.atomic():
        found = list(
            devices.order_by()
            .select_for_update(of=("self",))
            .values_list("pk", "hardware_id", "license_id", "tenant_id")
        )
        if not found:
            return 0
        ids = [row[0] for row in found]
        freed = devices.filter(pk__in=ids).update(
            status=Device.Status.DEACTIVATED, deactivated_at=now, token_hash=None
        )
        credentials_changed()  # an UPDATE sends no signal
        if freed != len(found):  # without row locks (SQLite), one came back meanwhile
            kept = set(
                Device.objects.filter(pk__in=ids, deactivated_at=now).values_list("pk", flat=True)
            )
            found = [row for row in found if row[0] in kept]
        for pk, hardware_id, license_id, tenant_id in found:
            events.publish(
                "device.deactivated",
                tenant=Tenant(pk=tenant_id),
                payload={
                    "deviceId": pk,
                    "hardwareId": hardware_id,
                    "licenseId": license_id,
                    "reason": "silent",
                },
            )
    return len(found)


DEVICE_EDITABLE = {"name", "channel", "tags", "metadata"}


@transaction.atomic
def device_update(*, device: Device, actor=None, **changes) -> Device:
    _, changed = model_update(device, editable=DEVICE_EDITABLE, changes=changes)
    if changed:
        payload = _payload(device) | {"changed": changed}
        events.publish("device.updated", tenant=device.tenant, payload=payload, actor=actor)
    return device


def device_touch(*, device_id, seen_at) -> int:
    """Record contact (for the seat sweep): the one place `last_seen_at` is written after
    registration. Never moves it backwards."""
    newer = Q(last_seen_at__lt=seen_at) | Q(last_seen_at__isnull=True)
    return Device.objects.filter(newer, pk=device_id).update(last_seen_at=seen_at)


def device_seen(*, device: Device) -> None:
    """Contact from a hot path (the update check), which must not write to the database nor
    talk to the broker: the contact is noted in the cache (one operation) and reaches
    `last_seen_at` with the next `device_contacts_flush` (see contacts.py)."""
    contact_note(device.pk)


def device_contacts_flush() -> int:
    """Write the contacts noted in the cache to `last_seen_at`, never moving it backwards:
    one UPDATE on PostgreSQL whatever their number (batches of 500 elsewhere)."""
    contacts = contacts_take()
    if not contacts:
        contacts_done()
        return 0
    updated = 0
    items = [(uuid.UUID(k), datetime.fromtimestamp(v, tz=UTC)) for k, v in contacts.items()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Device._meta.db_table} AS d SET last_seen_at = v.seen"  # noqa: S608
                " FROM unnest(%s::uuid[], %s::timestamptz[]) AS v(id, seen)"
                " WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen)",
                [[i for i, _ in items], [s for _, s in items]],
            )
            updated = cursor.rowcount
    else:
        for start in range(0, len(items), 500):
            batch = dict(items[start : start + 500])
            seen = Case(*(When(pk=k, then=Value(v)) for k, v in batch.items()))
            newer = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=seen)
            updated += Device.objects.filter(newer, pk__in=batch).update(last_seen_at=seen)
    contacts_done()
    return updated


def device_set_version(*, device: Device, version: str) -> Device:
    """The version a finished update session installed (its session records the event)."""
    if device.app_version != version:
        device.app_version = version
        device.save(update_fields=["app_version"])
    return device
