"""A licensed feed reflects the device's Relais rollout cohort: 10 % of a fleet of 2,000 see
the update through each feed, the same devices as the canonical check, more as the percent
grows and never fewer, nobody after a halt; an anonymous feed carries the percent for the
updater that stages itself; a yanked release leaves every feed. Outcomes: downloads are
counted, and a device checking again on the new version closes its session COMPLETED."""

import uuid

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Device
from licensing.keys import secret_hash, token_generate
from licensing.models import Product
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.cohorts import in_cohort
from releases.models import UpdateDay, UpdateSession
from releases.services.releases import release_yank
from releases.services.rollouts import (
    failure_stats,
    rollout_advance,
    rollout_halt,
    rollout_start,
)
from releases.services.sessions import session_id
from releases.tests.factories import forget_caches, published_release

pytestmark = pytest.mark.django_db
FLEET = 2_000


@pytest.fixture(autouse=True)
def _memory_cache(settings):
    """Each feed request notes the device's contact in the cache: in memory here (the test
    settings' file cache costs more than the request), as Redis is in production."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    forget_caches()
    yield
    forget_caches()


@pytest.fixture
def fleet():
    """(product, [(device, token)]): 2,000 devices of one license, on 1.0.0."""
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"), max_devices=FLEET)
    tokens = [token_generate("dvt") for _ in range(FLEET)]
    devices = Device.objects.bulk_create(
        Device(
            tenant=license.tenant,
            license=license,
            product=license.product,
            hardware_id=f"hw-{n}",
            app_version="1.0.0",
            platform="windows-x86_64",
            token_hash=secret_hash(token),
            token_prefix=token[:12],
            last_seen_at=timezone.now(),
        )
        for n, token in enumerate(tokens)
    )
    return license.product, list(zip(devices, tokens, strict=True))


# --- The feeds, as each updater reads them: does this device get 1.1.0? -------------------


def _electron_offered(client, token):
    response = client.get("/feeds/viewer/stable/latest.yml", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    info = yaml.safe_load(response.content)
    assert "stagingPercentage" not in info  # decided by Relais, not left to the client
    return info["version"] == "1.1.0"


def _tauri_offered(client, token):
    response = client.get(
        "/feeds/viewer/stable/tauri/windows/x86_64/1.0.0", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code in (200, 204)
    return response.status_code == 200 and response.json()["version"] == "1.1.0"


def _velopack_offered(client, token):
    response = client.get(
        "/feeds/viewer/stable/releases.win.json",
        {"arch": "x64", "localVersion": "1.0.0"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    return [a["Version"] for a in response.json()["Assets"]] == ["1.1.0"]


def _sparkle_offered(client, token):
    response = client.get(
        "/feeds/viewer/stable/appcast.xml",
        {"appVersion": "1.0.0"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    return b"<sparkle:version>1.1.0</sparkle:version>" in response.content


LICENSED_FEEDS = {
    "electron": _electron_offered,
    "tauri": _tauri_offered,
    "velopack": _velopack_offered,
    "sparkle": _sparkle_offered,
}


def _offered(client, feed, devices) -> set:
    return {d.pk for d, token in devices if LICENSED_FEEDS[feed](client, token)}


@pytest.fixture
def rolling(fleet, local_storage, changed):
    """1.0.0 for everyone, 1.1.0 rolling out in stages 10 → 50 → 100 %."""
    product, devices = fleet
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    rollout = changed(
        rollout_start, release=release, stages=[{"percent": p} for p in (10, 50, 100)]
    )
    return release, rollout, devices


@pytest.mark.parametrize("feed", sorted(LICENSED_FEEDS))
def test_ten_percent_of_the_fleet_see_the_update_through_each_feed(client, rolling, feed):
    release, rollout, devices = rolling

    offered = _offered(client, feed, devices)

    assert abs(len(offered) / FLEET - 0.10) <= 0.02
    # The canonical check's cohort, device for device.
    assert offered == {d.pk for d, _ in devices if in_cohort(release.pk, d.pk, 10)}


@pytest.mark.parametrize("feed", sorted(LICENSED_FEEDS))
def test_the_cohort_only_grows_with_the_percent_then_empties_on_a_halt(
    client, rolling, changed, feed
):
    release, rollout, devices = rolling
    sample = devices[:500]
    seen = [_offered(client, feed, sample)]
    for percent in (50, 100):
        rollout = changed(rollout_advance, rollout=rollout)
        assert rollout.percent == percent
        seen.append(_offered(client, feed, sample))

    assert seen[0] <= seen[1] <= seen[2] == {d.pk for d, _ in sample}
    assert abs(len(seen[1]) / len(sample) - 0.50) <= 0.06  # a sample of 500: ±3 σ

    changed(rollout_halt, rollout=rollout)

    assert _offered(client, feed, sample) == set()


def test_a_yanked_release_leaves_every_feed(client, fleet, local_storage, changed):
    product, devices = fleet
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    sample = devices[:50]
    for feed in LICENSED_FEEDS:
        assert _offered(client, feed, sample) == {d.pk for d, _ in sample}

    changed(release_yank, release=release)

    for feed in LICENSED_FEEDS:
        assert _offered(client, feed, sample) == set()


# --- Anonymous feeds of an open product ---------------------------------------------------


def staging_match(staging_user_id: uuid.UUID, percentage: int) -> bool:
    """electron-updater's own rule (AppUpdater.isStagingMatch): the last 4 bytes of the
    installation's stagingUserId, as a share of 0xffffffff, below the percentage."""
    hashed = int.from_bytes(staging_user_id.bytes[12:16], "big")
    return hashed / 0xFFFFFFFF * 100 < percentage


def test_anonymous_feeds_follow_the_rollout_percent(client, local_storage, changed):
    product = ProductFactory(slug="viewer", distribution=Product.Distribution.OPEN)
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    rollout = changed(
        rollout_start, release=release, stages=[{"percent": p} for p in (10, 50, 100)]
    )
    installs = [uuid.uuid5(uuid.NAMESPACE_URL, f"install-{n}") for n in range(FLEET)]

    def electron_updating():
        info = yaml.safe_load(client.get("/feeds/viewer/stable/latest.yml").content)
        if info["version"] != "1.1.0":
            return set()
        percent = info.get("stagingPercentage", 100)
        return {i for i in installs if staging_match(i, percent)}

    def unstaged_offered():
        """Tauri, Velopack and Sparkle stage nothing themselves: all or none, as one."""
        answers = {
            client.get("/feeds/viewer/stable/tauri/windows/x86_64/1.0.0").status_code == 200,
            bool(
                client.get(
                    "/feeds/viewer/stable/releases.win.json", {"localVersion": "1.0.0"}
                ).json()["Assets"]
            ),
            b"<item>"
            in client.get("/feeds/viewer/stable/appcast.xml", {"appVersion": "1.0.0"}).content,
        }
        assert len(answers) == 1
        return answers.pop()

    at_10 = electron_updating()
    assert abs(len(at_10) / FLEET - 0.10) <= 0.02
    assert not unstaged_offered()  # no client-side staging: only at 100 %
    rollout = changed(rollout_advance, rollout=rollout)
    at_50 = electron_updating()
    assert at_10 <= at_50 and abs(len(at_50) / FLEET - 0.50) <= 0.02
    assert not unstaged_offered()
    rollout = changed(rollout_advance, rollout=rollout)
    assert electron_updating() == set(installs) and unstaged_offered()

    changed(release_yank, release=release)

    assert electron_updating() == set() and not unstaged_offered()


def test_an_anonymous_feed_offers_nothing_new_after_a_halt(client, local_storage, changed):
    product = ProductFactory(slug="viewer", distribution=Product.Distribution.OPEN)
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    rollout = changed(rollout_start, release=release, stages=[{"percent": 50}])
    assert yaml.safe_load(client.get("/feeds/viewer/stable/latest.yml").content) == {
        **yaml.safe_load(client.get("/feeds/viewer/stable/latest.yml").content),
        "version": "1.1.0",
        "stagingPercentage": 50,
    }

    changed(rollout_halt, rollout=rollout)

    info = yaml.safe_load(client.get("/feeds/viewer/stable/latest.yml").content)
    assert info["version"] == "1.0.0" and "stagingPercentage" not in info


# --- Outcomes -----------------------------------------------------------------------------


def test_a_feed_driven_update_is_counted_and_closes_its_session(
    client, rolling, django_assert_num_queries
):
    """Tauri: the device is offered 1.1.0, downloads it (counted once, not its resumed
    range), then checks on 1.1.0: its session is COMPLETED, its version recorded, the day's
    outcome counted, the rollout's failure rate fed; the next poll writes nothing."""
    release, rollout, devices = rolling
    device, token = next((d, t) for d, t in devices if in_cohort(release.pk, d.pk, 10))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    offer = client.get("/feeds/viewer/stable/tauri/windows/x86_64/1.0.0", **bearer).json()
    url = offer["url"].removeprefix("http://testserver")

    whole = client.get(url, **bearer)
    b"".join(whole.streaming_content)
    resumed = client.get(url, HTTP_RANGE="bytes=100-", **bearer)
    assert (whole.status_code, resumed.status_code) == (200, 206)
    release.refresh_from_db()
    assert release.downloads == 1

    assert (
        client.get("/feeds/viewer/stable/tauri/windows/x86_64/1.1.0", **bearer).status_code == 204
    )

    session = UpdateSession.objects.get(device=device, release=release)
    assert (session.status, session.from_version, session.to_version) == (
        "COMPLETED",
        "1.0.0",
        "1.1.0",
    )
    assert session.pk == session_id(device.pk, release.pk)
    device.refresh_from_db()
    assert device.app_version == "1.1.0"
    assert UpdateDay.objects.get(tenant=device.tenant).completed == 1
    assert failure_stats(release.pk) == (1, 0)
    with CaptureQueriesContext(connection) as polled:
        client.get("/feeds/viewer/stable/tauri/windows/x86_64/1.1.0", **bearer)
    statements = [q["sql"].split()[0] for q in polled.captured_queries]
    assert statements and set(statements) == {"SELECT"}, statements  # the poll writes nothing
    assert UpdateSession.objects.get(pk=session.pk).updated_at == session.updated_at


def test_electron_updater_closes_its_session_through_the_version_in_its_feed_url(client, rolling):
    release, rollout, devices = rolling
    device, token = next((d, t) for d, t in devices if in_cohort(release.pk, d.pk, 10))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    response = client.get("/feeds/viewer/stable/latest.yml", {"version": "1.1.0"}, **bearer)

    assert yaml.safe_load(response.content) == {"version": "1.1.0", "files": []}
    assert UpdateSession.objects.get(device=device, release=release).status == "COMPLETED"


def test_a_version_the_device_was_never_offered_opens_no_session(client, rolling):
    """A device outside the cohort that says it runs 1.1.0 (installed by hand) is not
    counted for the rollout."""
    release, rollout, devices = rolling
    device, token = next((d, t) for d, t in devices if not in_cohort(release.pk, d.pk, 10))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    client.get("/feeds/viewer/stable/tauri/windows/x86_64/1.1.0", **bearer)

    assert not UpdateSession.objects.filter(device=device).exists()
