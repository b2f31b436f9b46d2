from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import ApiError
from core.models import Event
from devices.models import Device
from devices.services import devices as services
from devices.tasks import device_seats_free_silent_task
from devices.tests.factories import DeviceFactory
from licensing.keys import secret_hash
from licensing.models import License
from licensing.tests.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def _register(license, hardware_id="hw-1", **kwargs):
    return services.device_register(license_key=license.key, hardware_id=hardware_id, **kwargs)


def test_register_creates_a_device_with_a_token_shown_once(license):
    registration = _register(license, name="PC-1", app_version="1.0.0", platform="windows-x86_64")
    device = Device.objects.get(pk=registration.device.pk)
    assert registration.created and registration.token.startswith("dvt_")
    assert device.token_hash == secret_hash(registration.token)
    assert device.tenant == license.tenant and device.product == license.product
    assert device.name == "PC-1" and device.app_version == "1.0.0"
    assert Event.objects.filter(type="device.registered").count() == 1


def test_register_is_idempotent_per_hardware_id(license):
    first = _register(license, app_version="1.0.0")
    again = _register(license, app_version="1.0.1")
    assert again.device.pk == first.device.pk and not again.created
    assert again.token is None  # the first token still works, no new one is handed out
    assert Device.objects.count() == 1
    assert Device.objects.get().app_version == "1.0.1"
    rotated = _register(license, rotate_token=True)
    assert rotated.token and rotated.token != first.token


def test_seat_limit(license):
    license.max_devices = 2
    license.save()
    _register(license, "a")
    _register(license, "b")
    with pytest.raises(ApiError) as refused:
        _register(license, "c")
    assert refused.value.code == "TOO_MANY_DEVICES" and refused.value.status_code == 403
    _register(license, "a")  # a known device keeps its seat
    assert Device.objects.filter(status="active").count() == 2


def test_deactivate_frees_the_seat_and_kills_the_token(license):
    license.max_devices = 1
    license.save()
    device = _register(license, "a").device
    services.device_deactivate(device=device)
    device.refresh_from_db()
    assert device.status == Device.Status.DEACTIVATED and device.token_hash is None
    registration = _register(license, "b")
    assert registration.created
    with pytest.raises(ApiError, match="Too many devices"):
        _register(license, "a")  # coming back needs a seat again


def test_rotate_token(license):
    registration = _register(license)
    token = services.device_rotate_token(device=registration.device)
    registration.device.refresh_from_db()
    assert registration.device.token_hash == secret_hash(token) != secret_hash(registration.token)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": License.Status.SUSPENDED}, "SUSPENDED"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "EXPIRED"),
    ],
)
def test_register_refuses_invalid_licenses(changes, code):
    license = LicenseFactory(**changes)
    with pytest.raises(ApiError) as refused:
        _register(license)
    assert refused.value.code == code
    assert not Device.objects.exists()


def test_register_refuses_unknown_keys_and_platforms(license):
    with pytest.raises(ApiError) as refused:
        services.device_register(license_key="AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA", hardware_id="x")
    assert refused.value.code == "NOT_FOUND" and refused.value.status_code == 401
    with pytest.raises(ApiError) as refused:
        _register(license, platform="amiga-m68k")
    assert refused.value.code == "UNKNOWN_PLATFORM"
    with pytest.raises(ApiError) as refused:
        _register(license, channel="nightly")
    assert refused.value.code == "UNKNOWN_CHANNEL"


def test_register_product_mismatch(license):
    with pytest.raises(ApiError) as refused:
        _register(license, product="another-product")
    assert refused.value.code == "PRODUCT_MISMATCH"


def test_hardware_id_of_another_license_of_the_same_product_and_tenant(license):
    other = LicenseFactory(tenant=license.tenant, policy=license.policy)
    _register(license, "shared")
    with pytest.raises(ApiError) as refused:
        _register(other, "shared")
    assert refused.value.code == "HARDWARE_ID_TAKEN" and refused.value.status_code == 409


def test_silent_devices_free_their_seats():
    policy = PolicyFactory(heartbeat_window=timedelta(hours=1))
    license = LicenseFactory(policy=policy)
    silent = DeviceFactory(license=license, last_seen_at=timezone.now() - timedelta(hours=2))
    alive = DeviceFactory(license=license, last_seen_at=timezone.now())
    unbounded = DeviceFactory(last_seen_at=timezone.now() - timedelta(days=300))
    assert device_seats_free_silent_task.delay().get() == 1
    statuses = dict(Device.objects.values_list("pk", "status"))
    assert statuses[silent.pk] == "deactivated"
    assert statuses[alive.pk] == statuses[unbounded.pk] == "active"
    assert device_seats_free_silent_task() == 0  # safe to run twice


def test_a_full_license_reclaims_silent_seats_at_registration():
    policy = PolicyFactory(heartbeat_window=timedelta(hours=1), max_devices=1)
    license = LicenseFactory(policy=policy, max_devices=1)
    DeviceFactory(license=license, last_seen_at=timezone.now() - timedelta(hours=2))
    assert _register(license, "new").created


def test_a_device_moves_to_a_new_license_when_its_old_one_is_dead(license):
    from licensing.services import license_revoke

    device = _register(license, "pc").device
    renewal = LicenseFactory(tenant=license.tenant, policy=license.policy)
    license_revoke(license=license)
    moved = _register(renewal, "pc")
    assert moved.device.pk == device.pk and moved.token  # same device, new credentials
    device.refresh_from_db()
    assert device.license == renewal and device.status == "active"


def test_the_sweep_spares_a_device_that_came_back_meanwhile(license):
    policy = PolicyFactory(heartbeat_window=timedelta(hours=1))
    device = DeviceFactory(
        license=LicenseFactory(policy=policy), last_seen_at=timezone.now() - timedelta(hours=2)
    )
    stale = Device.objects.get(pk=device.pk)  # what the sweep read…
    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())  # …then it registers
    cutoff = timezone.now() - timedelta(hours=1)
    services.device_deactivate(device=stale, reason="silent", silent_before=cutoff)
    assert Device.objects.get(pk=device.pk).status == "active"


def test_contacts_flush_in_one_update_and_never_move_last_seen_backwards(
    license, django_assert_max_num_queries
):
    from devices.services.contacts import contact_note
    from devices.services.devices import device_contacts_flush

    old, recent = DeviceFactory.create_batch(2, license=license)
    an_hour = timedelta(hours=1)
    Device.objects.filter(pk=old.pk).update(last_seen_at=timezone.now() - an_hour)
    Device.objects.filter(pk=recent.pk).update(last_seen_at=timezone.now() + an_hour)
    for device in (old, recent, old):
        contact_note(device.pk)
    with django_assert_max_num_queries(1):
        assert device_contacts_flush() == 1
    assert timezone.now() - Device.objects.get(pk=old.pk).last_seen_at < timedelta(minutes=1)
    assert Device.objects.get(pk=recent.pk).last_seen_at > timezone.now() + timedelta(minutes=59)


def test_contacts_are_buffered_and_pushed_by_a_thread(license, settings):
    """In a web process, a check's contact costs a dict write; a daemon thread pushes the
    buffer to the cache (one HSET on Redis)."""
    import time

    from devices.services import contacts
    from devices.services.devices import device_contacts_flush

    settings.RELAIS_CONTACTS_PUSH_SECONDS = 0.05
    device = DeviceFactory(license=license, last_seen_at=timezone.now() - timedelta(days=1))
    contacts.contact_note(device.pk)
    # The thread empties the buffer, then writes the cache: wait for what the flush sees
    # (on a loaded machine the push can lag the buffer swap).
    flushed = 0
    for _ in range(200):
        flushed = device_contacts_flush()
        if flushed:
            break
        time.sleep(0.05)
    assert contacts._buffer == {}  # pushed by the thread, not by the flush
    assert flushed == 1
    assert timezone.now() - Device.objects.get(pk=device.pk).last_seen_at < timedelta(minutes=1)
