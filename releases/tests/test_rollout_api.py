"""The management API of rollouts: start, steer, and bad input refused with a code and
nothing written."""

import pytest
from rest_framework.test import APIClient

from core.models import Event
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory, TenantFactory, UserFactory
from releases.models import Rollout
from releases.tests.factories import ReleaseFactory, published_release

pytestmark = pytest.mark.django_db
URL = "/api/v1/manage/rollouts/"
STAGES = [{"percent": 10, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 60}]


@pytest.fixture
def release():
    return published_release(product=ProductFactory(), version="1.1.0")


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_start_force_for_a_tenant_and_steer(platform_client, release):
    tenant = TenantFactory()
    body = {"release": str(release.pk), "stages": STAGES, "forced": True,
            "target_tenants": [str(tenant.pk)]}  # fmt: skip
    response = platform_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "running" and data["percent"] == 10 and data["forced"] is True
    assert data["target_tenants"] == [str(tenant.pk)]
    rollout_url = f"{URL}{data['id']}/"
    assert platform_client.post(f"{rollout_url}pause/").json()["status"] == "paused"
    assert platform_client.post(f"{rollout_url}advance/").json()["percent"] == 100
    assert platform_client.post(f"{rollout_url}halt/").json()["status"] == "halted"
    refused = platform_client.post(f"{rollout_url}resume/")
    assert refused.status_code == 409 and refused.json()["code"] == "INVALID_TRANSITION"
    forced = Event.objects.get(type="update.forced")
    assert forced.tenant == tenant and forced.payload["targetTenants"] == [str(tenant.pk)]


@pytest.mark.parametrize(
    ("stages", "fragment"),
    [
        ([{"percent": 50}, {"percent": 10}], "strictly increase"),
        ([{"percent": 0}], "between 1 and 100"),
        ([{"percent": 120}], "between 1 and 100"),
        ("10,50", "at least one stage"),
    ],
)
def test_bad_stages(platform_client, release, stages, fragment):
    response = platform_client.post(
        URL, {"release": str(release.pk), "stages": stages}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_STAGES" and fragment in response.json()["message"]
    assert not Rollout.objects.exists()


def test_second_active_rollout_and_unpublished_releases(platform_client, release):
    body = {"release": str(release.pk)}
    assert platform_client.post(URL, body, format="json").status_code == 201
    events = Event.objects.count()
    again = platform_client.post(URL, body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "ROLLOUT_ACTIVE"
    draft = ReleaseFactory(product=release.product)
    response = platform_client.post(URL, {"release": str(draft.pk)}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "RELEASE_NOT_PUBLISHED"
    assert Rollout.objects.count() == 1 and Event.objects.count() == events


def test_tenant_staff_cannot_target_another_tenants_devices_or_tenant(release):
    ours, theirs = TenantFactory(), TenantFactory()
    restricted = published_release(product=release.product, version="2.0.0", tenant=ours)
    staff = _client(UserFactory(tenant=ours, is_staff=True, is_superuser=True))
    foreign = DeviceFactory(license__tenant=theirs, license__policy__product=release.product)
    mine = DeviceFactory(license__tenant=ours, license__policy__product=release.product)
    body = {"release": str(restricted.pk), "forced": True}
    response = staff.post(
        URL, {**body, "target_devices": [str(mine.pk), str(foreign.pk)]}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "UNKNOWN_DEVICES"
    assert response.json()["devices"] == [str(foreign.pk)]
    response = staff.post(URL, {**body, "target_tenants": [str(theirs.pk)]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
    # A shared release is the vendor's: "does not exist" for tenant staff's writes.
    response = staff.post(URL, {"release": str(release.pk)}, format="json")
    assert response.status_code == 400
    assert not Rollout.objects.exists()
    ok = staff.post(URL, {**body, "target_devices": [str(mine.pk)]}, format="json")
    assert ok.status_code == 201 and ok.json()["target_device_count"] == 1
