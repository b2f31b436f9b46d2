"""The update check under a rollout: the cohort is offered, nobody else; forced means
mandatory; halted offers nobody new; the budget (2 queries cold, 1 warm) still holds."""

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.cohorts import in_cohort
from releases.services import rollouts
from releases.services.sessions import session_id
from releases.tests.factories import forget_caches, published_release

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/updates/check"
STATUS = "/api/v1/updates/status"


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def fleet(product):
    device = DeviceFactory(license__policy__product=product, app_version="1.0.0")
    others = [
        DeviceFactory(license=device.license, product=product, app_version="1.0.0")
        for _ in range(29)
    ]
    return [device, *others]


def _check(client, device, **params):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client.get(CHECK, {"version": "1.0.0", **params}).json()


def _split(release, fleet, percent):
    inside = [d for d in fleet if in_cohort(release.pk, d.pk, percent)]
    outside = [d for d in fleet if not in_cohort(release.pk, d.pk, percent)]
    assert inside and outside, "pick another percent for this fleet"
    return inside, outside


def _changed(callbacks, fn, **kwargs):
    with callbacks(execute=True):
        return fn(**kwargs)


def test_only_the_cohort_is_offered_and_stays_offered(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    rollout = _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        stages=[{"percent": 30, "holdMinutes": 1}, {"percent": 70, "holdMinutes": 1}],
    )
    inside, outside = _split(release, fleet, 30)
    assert all(_check(api_client, d)["version"] == "1.1.0" for d in inside)
    assert all(_check(api_client, d) == {"updateAvailable": False} for d in outside)
    _changed(django_capture_on_commit_callbacks, rollouts.rollout_pause, rollout=rollout)
    assert all(_check(api_client, d)["updateAvailable"] for d in inside)  # paused keeps them
    _changed(django_capture_on_commit_callbacks, rollouts.rollout_resume, rollout=rollout)
    _changed(django_capture_on_commit_callbacks, rollouts.rollout_advance, rollout=rollout)
    wider, _ = _split(release, fleet, 70)
    assert set(inside) <= set(wider)
    assert all(_check(api_client, d)["updateAvailable"] for d in wider)
    assert not any(_check(api_client, d)["mandatory"] for d in wider)


def test_an_older_release_is_offered_to_devices_outside_the_new_cohort(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    published_release(product=product, version="1.1.0")
    release = published_release(product=product, version="1.2.0")
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        stages=[{"percent": 50, "holdMinutes": 60}],
    )
    inside, outside = _split(release, fleet, 50)
    assert _check(api_client, inside[0])["version"] == "1.2.0"
    assert _check(api_client, outside[0])["version"] == "1.1.0"


def test_forced_selected_devices_get_it_mandatory_the_others_as_before(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    chosen = fleet[:3]
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        forced=True,
        target_devices=[d.pk for d in chosen],
    )
    for device in chosen:
        body = _check(api_client, device)
        assert body["version"] == "1.1.0" and body["mandatory"] is True
    body = _check(api_client, fleet[5])  # not selected: offered as it was, not mandatory
    assert body["version"] == "1.1.0" and body["mandatory"] is False


def test_a_pilot_on_selected_devices_offers_it_to_them_only(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        target_devices=[d.pk for d in fleet[:3]],
    )
    assert all(_check(api_client, d)["mandatory"] is False for d in fleet[:3])
    assert _check(api_client, fleet[5]) == {"updateAvailable": False}


def test_a_forced_progressive_rollout_for_a_tenant(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    other = DeviceFactory(license__policy__product=product, app_version="1.0.0")
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        forced=True,
        target_tenants=[fleet[0].tenant],
        stages=[{"percent": 30, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 60}],
    )
    inside, outside = _split(release, fleet, 30)
    assert all(_check(api_client, d)["mandatory"] is True for d in inside)
    assert all(_check(api_client, d) == {"updateAvailable": False} for d in outside)
    assert _check(api_client, other)["mandatory"] is False  # another tenant: as before


def test_halted_offers_nobody_new_but_sessions_go_on(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    rollout = _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        stages=[{"percent": 50, "holdMinutes": 60}],
    )
    inside, _ = _split(release, fleet, 50)
    started, not_started = inside[0], inside[1]
    offer = _check(api_client, started)
    api_client.post(
        STATUS, {"sessionId": offer["sessionId"], "status": "DOWNLOADING"}, format="json"
    )
    late = _check(api_client, not_started)["sessionId"]
    _changed(django_capture_on_commit_callbacks, rollouts.rollout_halt, rollout=rollout)
    assert _check(api_client, started) == {"updateAvailable": False}
    assert _check(api_client, not_started) == {"updateAvailable": False}
    # Both were offered it before the halt: they may still report on it.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {started.token}")
    done = api_client.post(
        STATUS, {"sessionId": offer["sessionId"], "status": "COMPLETED"}, format="json"
    )
    assert done.status_code == 200, done.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {not_started.token}")
    assert (
        api_client.post(STATUS, {"sessionId": late, "status": "FAILED"}, format="json").status_code
        == 200
    )
    # A device the rollout never reached cannot open a session on it.
    outsider = next(d for d in fleet if not in_cohort(release.pk, d.pk, 50))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {outsider.token}")
    sid = str(session_id(outsider.pk, release.pk))
    refused = api_client.post(STATUS, {"sessionId": sid, "status": "DOWNLOADING"}, format="json")
    assert refused.status_code == 404 and refused.json()["code"] == "UNKNOWN_SESSION"


def test_budget_holds_with_a_rollout(
    api_client, product, fleet, django_assert_num_queries, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    for i in range(5):
        published_release(product=product, version=f"0.{i}.0")
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        forced=True,
        stages=[{"percent": 50, "holdMinutes": 60}],
        target_devices=[d.pk for d in fleet],
    )
    inside, outside = _split(release, fleet, 50)
    forget_caches()
    with django_assert_num_queries(2):
        assert _check(api_client, inside[0])["mandatory"] is True
    with django_assert_num_queries(1):
        assert _check(api_client, inside[1])["updateAvailable"] is True
    with django_assert_num_queries(1):
        assert _check(api_client, outside[0]) == {"updateAvailable": False}


def test_dialects_cybersensei_is_bucketed_by_tenant_datashare_waits_for_100(
    api_client, django_capture_on_commit_callbacks, local_storage
):
    from licensing.models import Product
    from licensing.tests.factories import LicenseFactory

    first = LicenseFactory()
    product = first.product
    licenses = [first, *(LicenseFactory(policy=first.policy) for _ in range(19))]
    release = published_release(product=product, version="1.1.0")
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        stages=[{"percent": 50, "holdMinutes": 60}],
    )
    for license in licenses:
        body = api_client.get("/update/check", {"tenantId": license.tenant_id, "version": "1.0.0"})
        expected = in_cohort(release.pk, license.tenant_id, 50)
        assert body.json()["updateAvailable"] is expected

    open_product = ProductFactory(distribution=Product.Distribution.OPEN)
    published_release(product=open_product, version="1.0.0")
    newer = published_release(product=open_product, version="2.0.0")
    rollout = _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=newer,
        stages=[{"percent": 99, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 60}],
    )
    latest = {"product": open_product.slug}
    assert api_client.get("/api/updates/latest", latest).json()["version"] == "1.0.0"
    _changed(django_capture_on_commit_callbacks, rollouts.rollout_advance, rollout=rollout)
    assert api_client.get("/api/updates/latest", latest).json()["version"] == "2.0.0"


def test_a_skipped_forced_release_makes_the_newer_offer_mandatory_for_its_devices_only(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    forced = published_release(product=product, version="1.1.0")
    _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=forced,
        forced=True,
        target_devices=[fleet[0].pk],
    )
    published_release(product=product, version="1.2.0")
    body = _check(api_client, fleet[0])
    assert body["version"] == "1.2.0" and body["mandatory"] is True
    body = _check(api_client, fleet[1])
    assert body["version"] == "1.2.0" and body["mandatory"] is False
    # Already past the forced release: nothing forces the newer one.
    assert _check(api_client, fleet[0], version="1.1.0")["mandatory"] is False


def test_a_forced_rollout_completed_for_everyone_is_mandatory_for_everyone(
    api_client, product, fleet, django_capture_on_commit_callbacks
):
    release = published_release(product=product, version="1.1.0")
    rollout = _changed(
        django_capture_on_commit_callbacks,
        rollouts.rollout_start,
        release=release,
        forced=True,
        stages=[{"percent": 100, "holdMinutes": 0}],
    )
    _changed(django_capture_on_commit_callbacks, rollouts.rollout_advance, rollout=rollout)
    rollout.refresh_from_db()
    assert rollout.status == "completed"
    assert all(_check(api_client, d)["mandatory"] is True for d in fleet[:5])
