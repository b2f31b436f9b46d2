"""A licensed feed reflects the device's Relais rollout cohort: 10 % of a fleet of 2,000 see
the update, the same devices as the canonical check, nobody after a halt; a yanked release
leaves the feeds."""

import pytest
import yaml
from django.utils import timezone

from devices.models import Device
from licensing.keys import secret_hash, token_generate
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.cohorts import in_cohort
from releases.services.releases import release_yank
from releases.services.rollouts import rollout_halt, rollout_start
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
FLEET = 2_000


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


def _electron_version(client, token):
    response = client.get("/feeds/viewer/stable/latest.yml", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    info = yaml.safe_load(response.content)
    assert "stagingPercentage" not in info  # decided by Relais, not left to the client
    return info["version"]


def _tauri_offered(client, token):
    response = client.get(
        "/feeds/viewer/stable/tauri/windows/x86_64/1.0.0", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code in (200, 204)
    return response.status_code == 200 and response.json()["version"] == "1.1.0"


def test_ten_percent_of_the_fleet_see_the_update_then_none_after_a_halt(
    client, fleet, local_storage, changed
):
    product, devices = fleet
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    rollout = changed(rollout_start, release=release, stages=[{"percent": 10}])

    offered = [(d, t) for d, t in devices if _electron_version(client, t) == "1.1.0"]

    assert abs(len(offered) / FLEET - 0.10) <= 0.02
    # The same cohort as the canonical check's, and Tauri's feed agrees (on a sample: each
    # request writes the device's contact to the test's file cache).
    cohort = {d.pk for d, _ in devices if in_cohort(release.pk, d.pk, 10)}
    assert {d.pk for d, _ in offered} == cohort
    outside = [(d, t) for d, t in devices if d.pk not in cohort][:100]
    assert all(_tauri_offered(client, t) for _, t in offered[:100])
    assert not any(_tauri_offered(client, t) for _, t in outside)

    changed(rollout_halt, rollout=rollout)

    assert {_electron_version(client, t) for _, t in offered} == {"1.0.0"}
    assert not any(_tauri_offered(client, t) for _, t in offered[:100])


def test_a_yanked_release_leaves_every_feed(client, fleet, local_storage, changed):
    product, devices = fleet
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    sample = devices[:50]
    assert {_electron_version(client, t) for _, t in sample} == {"1.1.0"}

    changed(release_yank, release=release)

    assert {_electron_version(client, t) for _, t in sample} == {"1.0.0"}
    assert not any(_tauri_offered(client, t) for _, t in sample)
