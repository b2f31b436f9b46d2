"""On PostgreSQL, 50 concurrent registrations of new hardware against 5 seats give exactly
5 devices and 45 clear refusals."""

import pytest
from django.db import connection

from core.exceptions import ApiError
from devices.models import Device
from devices.services.devices import device_register
from licensing.tests.factories import LicenseFactory
from licensing.tests.test_concurrency import _run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_fifty_registrations_against_five_seats():
    license = LicenseFactory(max_devices=5)
    counter = iter(range(1000))

    def register():
        try:
            device_register(license_key=license.key, hardware_id=f"hw-{next(counter)}")
            return "ok"
        except ApiError as exc:
            return exc.code

    results = _run_concurrently(50, register)
    assert results.count("ok") == 5
    assert results.count("TOO_MANY_DEVICES") == 45
    assert Device.objects.filter(license=license, status="active").count() == 5


def test_concurrent_registrations_of_one_hardware_make_one_device():
    license = LicenseFactory(max_devices=5)

    def register():
        try:
            return device_register(license_key=license.key, hardware_id="same").device.pk
        except ApiError as exc:
            return exc.code

    results = _run_concurrently(20, register)
    assert len(set(results)) == 1
    assert Device.objects.filter(license=license).count() == 1


def test_one_hardware_on_two_licenses_at_once_gives_one_device_and_a_409():
    """Each request locks only its own license row: the device uniqueness (tenant, product,
    hardware id) must be serialised too, or the loser's INSERT is an IntegrityError (500)."""
    first = LicenseFactory(max_devices=5)
    second = LicenseFactory(max_devices=5, tenant=first.tenant, policy=first.policy)
    assert second.product_id == first.product_id
    keys = iter([first.key, second.key] * 3)

    def register():
        try:
            return device_register(license_key=next(keys), hardware_id="shared").device.pk
        except ApiError as exc:
            return exc.code

    for _ in range(3):  # a race is a matter of luck: run it more than once
        Device.objects.all().delete()
        results = _run_concurrently(2, register)
        assert sorted(r == "HARDWARE_ID_TAKEN" for r in results) == [False, True], results
        assert Device.objects.filter(hardware_id="shared").count() == 1
