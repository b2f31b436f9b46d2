"""push_force_update: who is targeted, what is emitted, what is recorded."""

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory
from releases.tests.factories import published_release
from sync import force_update
from sync.models import Event

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
    recorded = Event.objects.get(type="update.forced")
    assert recorded.tenant == license.tenant and recorded.payload["devices"] == 1


def test_a_tenant_restricted_release_reaches_only_that_tenant(local_storage, emitted):
    license = LicenseFactory()
    stranger = DeviceFactory(license=LicenseFactory(product=license.product))
    release = published_release(product=license.product, version="2.0.0", tenant=license.tenant)
    assert force_update.push_force_update(release=release, devices=[stranger]) == 0
    assert not Event.objects.filter(type="update.forced").exists()
