"""Maintenance windows over HTTP: the windows staff set through the management API hold an
optional update back outside them and let it through inside; a mandatory one goes through,
a forced rollout goes through unless it respects windows; the check's budget holds.

The clock is the real one: each window is placed hours away from now (inside: from an
hour before to an hour after; outside: from two to three hours ahead), so the outcome
does not depend on when the test runs."""

from datetime import UTC, datetime, timedelta

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, UserFactory
from releases.services import rollouts
from releases.tests.factories import forget_caches, published_release

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/updates/check"
WINDOWS = "/api/v1/manage/maintenance-windows"


def _around(start_hours: float, end_hours: float, **scope) -> dict:
    now = datetime.now(UTC)
    start, end = now + timedelta(hours=start_hours), now + timedelta(hours=end_hours)
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), **scope}


INSIDE, OUTSIDE = (-1, 1), (2, 3)


@pytest.fixture
def device():
    license = LicenseFactory(max_devices=None)
    return DeviceFactory(license=license, app_version="1.0.0")


def _set_windows(api_client, tenant, windows):
    api_client.force_authenticate(UserFactory(is_superuser=True))
    answer = api_client.put(f"{WINDOWS}?tenant={tenant.pk}", {"windows": windows}, format="json")
    api_client.force_authenticate(None)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def _check(api_client, device):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return api_client.get(CHECK, {"version": "1.0.0"}).json()


def test_an_optional_update_is_held_outside_the_window_and_offered_inside(api_client, device):
    published_release(product=device.product, version="1.1.0")
    _set_windows(api_client, device.tenant, [_around(*OUTSIDE)])
    assert _check(api_client, device) == {"updateAvailable": False}
    _set_windows(api_client, device.tenant, [_around(*INSIDE)])
    offered = _check(api_client, device)
    assert offered["updateAvailable"] is True and offered["version"] == "1.1.0"


def test_a_site_window_overrides_the_tenants(api_client, device):
    published_release(product=device.product, version="1.1.0")
    neighbour = DeviceFactory(license=device.license, app_version="1.0.0")
    _set_windows(
        api_client,
        device.tenant,
        [_around(*INSIDE), _around(*OUTSIDE, site=str(device.pk))],
    )
    assert _check(api_client, device) == {"updateAvailable": False}
    assert _check(api_client, neighbour)["updateAvailable"] is True


def test_a_mandatory_update_is_offered_outside_the_window(api_client, device):
    published_release(product=device.product, version="1.1.0", is_mandatory=True)
    _set_windows(api_client, device.tenant, [_around(*OUTSIDE)])
    offered = _check(api_client, device)
    assert offered["updateAvailable"] is True and offered["mandatory"] is True


@pytest.mark.parametrize(("overrides", "offered"), [(True, True), (False, False)])
def test_a_forced_rollout_says_whether_it_overrides_windows(
    api_client, device, django_capture_on_commit_callbacks, overrides, offered
):
    release = published_release(product=device.product, version="1.1.0")
    _set_windows(api_client, device.tenant, [_around(*OUTSIDE)])
    api_client.force_authenticate(UserFactory(is_superuser=True))
    body = {
        "release": str(release.pk),
        "forced": True,
        "overrides_windows": overrides,
        "target_devices": [str(device.pk)],
    }
    with django_capture_on_commit_callbacks(execute=True):
        started = api_client.post("/api/v1/manage/rollouts/", body, format="json")
    assert started.status_code == 201, started.json()
    assert started.json()["overrides_windows"] is overrides
    api_client.force_authenticate(None)
    forget_caches()
    assert _check(api_client, device)["updateAvailable"] is offered


def test_the_check_budget_holds_with_windows(
    api_client, device, django_assert_num_queries, django_capture_on_commit_callbacks
):
    release = published_release(product=device.product, version="1.1.0")
    with django_capture_on_commit_callbacks(execute=True):
        rollouts.rollout_start(release=release, forced=True, overrides_windows=False)
    _set_windows(api_client, device.tenant, [_around(*OUTSIDE)])
    forget_caches()
    with django_assert_num_queries(2):  # cold: authentication (windows with it) + catalogue
        assert _check(api_client, device) == {"updateAvailable": False}
    with django_assert_num_queries(0):
        assert _check(api_client, device) == {"updateAvailable": False}
