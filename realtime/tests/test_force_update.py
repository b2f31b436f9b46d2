"""push_force_update: who is targeted and what is emitted; a forced rollout pushes it."""

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, TenantFactory
from realtime import force_update
from releases.services.rollouts import rollout_start
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def emitted(monkeypatch):
    sent = []
    monkeypatch.setattr(
        force_update, "emit_to_room", lambda event, data, room: sent.append((event, data, room))
    )
    return sent


def test_only_devices_the_release_is_for(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory()
    mine = DeviceFactory(license=license, hardware_id="hw-shared")
    other_product = DeviceFactory(hardware_id="hw-shared")  # another tenant and product
    release = published_release(product=license.product, version="1.1.0")
    with django_capture_on_commit_callbacks(execute=True):
        sent = force_update.push_force_update(release=release, hardware_ids=["hw-shared"])
    assert sent == 1
    [(event, data, room)] = emitted
    assert event == "force-update" and room == f"device:hw-shared#{mine.pk}"
    assert data["version"] == "1.1.0" and data["mandatory"] is True
    assert data["downloadUrl"].endswith(f"/api/v1/updates/download/{release.artifacts.get().pk}")
    assert str(other_product.pk) not in str(emitted)


def test_a_tenant_restricted_release_reaches_only_that_tenant(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory()
    stranger = DeviceFactory(license=LicenseFactory(product=license.product))
    release = published_release(product=license.product, version="2.0.0", tenant=license.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert force_update.push_force_update(release=release, devices=[stranger]) == 0
    assert emitted == []


def test_a_forced_rollout_pushes_to_its_targets_only(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory()
    targeted, spared = DeviceFactory(license=license), DeviceFactory(license=license)
    release = published_release(product=license.product, version="3.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=release, forced=True, target_devices=[targeted])
    assert [room for _e, _d, room in emitted] == [f"device:{targeted.hardware_id}#{targeted.pk}"]
    assert str(spared.pk) not in str(emitted)


def test_a_forced_rollout_of_a_tenant_and_a_plain_or_progressive_one(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory()
    device = DeviceFactory(license=license)
    DeviceFactory(license=LicenseFactory(product=license.product, tenant=TenantFactory()))
    first = published_release(product=license.product, version="4.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=first, forced=True, target_tenants=[license.tenant])
    assert [room for _e, _d, room in emitted] == [f"device:{device.hardware_id}#{device.pk}"]
    emitted.clear()
    second = published_release(product=license.product, version="5.0.0")
    third = published_release(product=license.product, version="6.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=second)  # not forced: devices find it at their next check
        stages = [{"percent": 10, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 0}]
        rollout_start(release=third, forced=True, stages=stages)  # progressive
    assert emitted == []
