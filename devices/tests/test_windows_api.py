"""`GET|PUT /api/v1/manage/maintenance-windows`: tenant staff read and replace their own
tenant's windows, never another's; platform staff name the tenant; bad windows are a 400
naming the problem, and a change is an event."""

import pytest
from rest_framework.test import APIClient

from core.models import Event
from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import TenantFactory, UserFactory
from licensing.tests.tenancy import staff_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/manage/maintenance-windows"
NIGHTLY = {"days": ["mon", "tue"], "start": "02:00", "end": "05:00", "timezone": "Europe/Paris"}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_tenant_staff_replace_and_read_their_windows():
    site = DeviceFactory()
    tenant = site.tenant
    staff = _client(staff_of(tenant, Device))
    body = {"windows": [NIGHTLY, {"site": str(site.pk).upper(), "autoUpdateHour": 3}]}
    answer = staff.put(URL, body, format="json")
    assert answer.status_code == 200, answer.json()
    windows = answer.json()["windows"]
    assert windows[1] == {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "03:00",
        "end": "04:00",
        "timezone": "UTC",
        "site": str(site.pk),
    }
    assert staff.get(URL).json() == {"tenant": str(tenant.pk), "windows": windows}
    event = Event.objects.get(type="tenant.updated", tenant=tenant)
    assert event.payload["changed"] == ["maintenance_windows"]
    assert staff.put(URL, body, format="json").status_code == 200  # unchanged: no event
    assert Event.objects.filter(type="tenant.updated").count() == 1


def test_another_tenants_windows_are_out_of_reach():
    mine, theirs = TenantFactory(), TenantFactory()
    their_site = DeviceFactory(license__tenant=theirs)
    staff = _client(staff_of(mine, Device))
    for method in ("get", "put"):
        answer = getattr(staff, method)(f"{URL}?tenant={theirs.pk}", {"windows": []}, format="json")
        assert answer.status_code == 404 and answer.json()["code"] == "TENANT_NOT_FOUND"
    # Naming another tenant's device as a site is refused like an unknown one.
    body = {"windows": [{"site": str(their_site.pk), "autoUpdateHour": 3}]}
    refused = staff.put(URL, body, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "UNKNOWN_DEVICES"
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.maintenance_windows == [] and mine.maintenance_windows == []


def test_platform_staff_name_the_tenant_and_permissions_apply():
    tenant = TenantFactory()
    admin = _client(UserFactory(is_superuser=True))
    assert admin.get(URL).json()["code"] == "TENANT_REQUIRED"
    answer = admin.put(f"{URL}?tenant={tenant.pk}", {"windows": [NIGHTLY]}, format="json")
    assert answer.status_code == 200
    unprivileged = _client(UserFactory())  # platform staff without the device permissions
    assert unprivileged.get(f"{URL}?tenant={tenant.pk}").status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


@pytest.mark.parametrize(
    "body",
    [
        {"windows": [{"start": "25:00", "end": "02:00"}]},
        {"windows": "nightly"},
        {"wrong": []},
        ["not", "an", "object"],
    ],
)
def test_bad_windows_are_a_400_with_a_code(body):
    staff = _client(staff_of(TenantFactory(), Device))
    answer = staff.put(URL, body, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "INVALID_WINDOWS"
