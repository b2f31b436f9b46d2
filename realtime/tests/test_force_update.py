"""push_force_update: who is targeted and what is emitted; a forced rollout pushes each
device as it enters the cohort (at start, on schedule, at each stage)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.services.windows import maintenance_windows_set
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, TenantFactory
from realtime import force_update
from realtime.state import device_room
from releases.cohorts import in_cohort
from releases.services.rollouts import rollout_advance, rollout_start, rollout_tick
from releases.tests.factories import forget_caches, published_release

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


def test_a_forced_rollout_of_a_tenant_and_a_plain_one(
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
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=second)  # not forced: devices find it at their next check
    assert emitted == []


def _inside_and_outside(license, release, percent):
    """Two devices of `license`: one in the release's cohort at `percent`, one not."""
    inside = outside = None
    while inside is None or outside is None:
        device = DeviceFactory(license=license)
        if in_cohort(release.pk, device.pk, percent):
            inside = inside or device
        else:
            outside = outside or device
    return inside, outside


def _rooms(emitted) -> list[str]:
    return [room for _e, _d, room in emitted]


def test_each_stage_pushes_the_devices_that_enter_it_once(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory(max_devices=None)
    release = published_release(product=license.product, version="6.0.0")
    first, later = _inside_and_outside(license, release, 10)
    stages = [{"percent": 10, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 0}]
    with django_capture_on_commit_callbacks(execute=True):
        rollout = rollout_start(release=release, forced=True, stages=stages)
    assert device_room(first) in _rooms(emitted)
    assert device_room(later) not in _rooms(emitted)
    emitted.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rollout_advance(rollout=rollout)
    assert device_room(later) in _rooms(emitted)
    assert device_room(first) not in _rooms(emitted)  # already told at 10 %


def test_a_scheduled_forced_rollout_pushes_when_the_tick_starts_it(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory()
    device = DeviceFactory(license=license)
    release = published_release(product=license.product, version="7.0.0")
    start_at = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        rollout = rollout_start(release=release, forced=True, start_at=start_at)
    assert emitted == []  # scheduled: nobody yet
    with django_capture_on_commit_callbacks(execute=True):
        assert rollout_tick(rollout_id=rollout.pk, now=start_at) == "started"
    assert _rooms(emitted) == [device_room(device)]


def test_the_push_carries_what_the_check_would_answer(
    local_storage, emitted, django_capture_on_commit_callbacks, api_client
):
    license = LicenseFactory()
    device = DeviceFactory(license=license, platform="windows-x86_64", app_version="1.0.0")
    release = published_release(
        product=license.product, version="8.0.0", platforms=("windows-x86_64", "linux-x86_64")
    )
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=release, forced=True, target_devices=[device])
    [(_event, pushed, _room)] = emitted
    forget_caches()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    checked = api_client.get("/api/v1/updates/check", {"version": "1.0.0"}).json()
    assert checked["updateAvailable"] is True
    for field in ("version", "checksum", "size", "sessionId", "releaseNotes", "artifactId"):
        assert pushed[field] == checked[field], field
    assert pushed["mandatory"] is True and checked["mandatory"] is True
    artifact = release.artifacts.get(platform="windows-x86_64")
    assert pushed["checksum"] == artifact.sha256 and pushed["size"] == artifact.size
    assert pushed["downloadUrl"].endswith(f"/api/v1/updates/download/{artifact.pk}")
    # The session it names takes the seed's status reports.
    report = {"sessionId": pushed["sessionId"], "status": "DOWNLOADING", "downloadPercent": 0}
    assert api_client.post("/api/v1/updates/status", report, format="json").status_code == 200


def test_devices_already_on_it_or_on_another_channel_are_not_pushed(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory(max_devices=None)
    current = DeviceFactory(license=license, app_version="9.0.0")
    behind = DeviceFactory(license=license, app_version="8.9.0")
    release = published_release(product=license.product, version="9.0.0")
    beta = published_release(product=license.product, version="9.1.0-beta.1", channel="beta")
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=release, forced=True, target_devices=[current, behind])
        rollout_start(release=beta, forced=True, target_devices=[current, behind])  # stable devices
    assert _rooms(emitted) == [device_room(behind)]


def test_a_rollout_that_respects_windows_pushes_only_devices_inside_theirs(
    local_storage, emitted, django_capture_on_commit_callbacks
):
    license = LicenseFactory(max_devices=None)
    inside, outside = DeviceFactory(license=license), DeviceFactory(license=license)
    hour = timezone.now().hour
    windows = [
        {"site": str(inside.pk), "start": f"{hour:02d}:00", "end": f"{(hour + 1) % 24:02d}:00"},
        {
            "site": str(outside.pk),
            "start": f"{(hour + 2) % 24:02d}:00",
            "end": f"{(hour + 3) % 24:02d}:00",
        },
    ]
    maintenance_windows_set(tenant=license.tenant, windows=windows)
    held = published_release(product=license.product, version="10.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=held, forced=True, overrides_windows=False)
    assert _rooms(emitted) == [device_room(inside)]
    emitted.clear()
    now = published_release(product=license.product, version="11.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        rollout_start(release=now, forced=True)  # overrides windows, as forcing did before
    assert sorted(_rooms(emitted)) == sorted([device_room(inside), device_room(outside)])
