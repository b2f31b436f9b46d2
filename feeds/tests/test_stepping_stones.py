"""Stepping-stone releases (issue 23, item 5): a device older than a stone is offered the
stone before anything newer, through every route: the canonical check, the seeds' dialects
and every feed (electron-updater, Tauri, Velopack, Sparkle). One rule (releases.services.check.stepping_stone) serves them all."""

import io
import re

import pytest
import yaml
from django.core.management import call_command

from devices.tests.factories import DeviceFactory
from licensing.models import Product
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.cohorts import in_cohort
from releases.services.releases import release_update
from releases.services.rollouts import rollout_halt, rollout_start
from releases.tests.factories import forget_caches, published_release

pytestmark = pytest.mark.django_db


def _releases(product, stone_fields=None):
    """1.0.0, 1.1.0 (the stepping stone), 1.2.0 and 1.3.0 on every platform."""
    published_release(product=product, version="1.0.0")
    stone = published_release(
        product=product, version="1.1.0", is_stepping_stone=True, **(stone_fields or {})
    )
    published_release(product=product, version="1.2.0")
    published_release(product=product, version="1.3.0")
    return stone


@pytest.fixture
def licensed(local_storage):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    device = DeviceFactory(license=license, app_version="1.0.0", platform="windows-x86_64")
    return license, device, _releases(license.product)


@pytest.fixture
def open_viewer(local_storage):
    product = ProductFactory(slug="viewer", distribution=Product.Distribution.OPEN)
    return product, _releases(product)


# --- One route each: what a device on `version` is offered (None: nothing) ---------------


def canonical(client, device, version):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    body = client.get("/api/v1/updates/check", {"version": version}).json()
    return body["version"] if body["updateAvailable"] else None


def cybersensei(client, license, version):
    body = client.get("/update/check", {"tenantId": license.tenant_id, "version": version}).json()
    return body["latestVersion"] if body["updateAvailable"] else None


def datashare(client, version):
    response = client.get("/api/updates/latest", {"version": version})
    if response.status_code == 404:
        return None
    offered = response.json()["version"]
    return offered if offered != version else None


def electron(client, version, **headers):
    response = client.get("/feeds/viewer/stable/latest.yml", {"version": version}, **headers)
    assert response.status_code == 200
    offered = yaml.safe_load(response.content)["version"]
    return offered if offered != version else None  # the updater's own rule: newer only


def tauri(client, version, **headers):
    response = client.get(f"/feeds/viewer/stable/tauri/windows/x86_64/{version}", **headers)
    assert response.status_code in (200, 204)
    return response.json()["version"] if response.status_code == 200 else None


def velopack(client, version, **headers):
    response = client.get(
        "/feeds/viewer/stable/releases.win.json", {"localVersion": version}, **headers
    )
    assert response.status_code == 200
    versions = [asset["Version"] for asset in response.json()["Assets"]]
    return versions[0] if versions else None


def sparkle(client, version, **headers):
    response = client.get("/feeds/viewer/stable/appcast.xml", {"appVersion": version}, **headers)
    assert response.status_code == 200
    found = re.search(rb"<sparkle:version>([^<]+)</sparkle:version>", response.content)
    return found[1].decode() if found else None


def _licensed_routes(api_client, client, license, device):
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {device.token}"}
    return {
        "canonical": lambda v: canonical(api_client, device, v),
        "cybersensei": lambda v: cybersensei(client, license, v),
        "electron": lambda v: electron(client, v, **bearer),
        "tauri": lambda v: tauri(client, v, **bearer),
        "velopack": lambda v: velopack(client, v, **bearer),
        "sparkle": lambda v: sparkle(client, v, **bearer),
    }


def _open_routes(client):
    return {
        "datashare": lambda v: datashare(client, v),
        "electron": lambda v: electron(client, v),
        "tauri": lambda v: tauri(client, v),
        "velopack": lambda v: velopack(client, v),
        "sparkle": lambda v: sparkle(client, v),
    }


def _offers(routes, version):
    return {name: ask(version) for name, ask in routes.items()}


def test_two_releases_behind_every_licensed_route_offers_the_stone_first(
    api_client, client, licensed
):
    license, device, _ = licensed
    routes = _licensed_routes(api_client, client, license, device)

    assert set(_offers(routes, "1.0.0").values()) == {"1.1.0"}
    # Once on the stone, the newest; past it, the stone is not in the way.
    assert set(_offers(routes, "1.1.0").values()) == {"1.3.0"}
    assert set(_offers(routes, "1.2.0").values()) == {"1.3.0"}
    assert set(_offers(routes, "1.3.0").values()) == {None}


def test_two_releases_behind_every_open_route_offers_the_stone_first(client, open_viewer):
    routes = _open_routes(client)

    assert set(_offers(routes, "1.0.0").values()) == {"1.1.0"}
    assert set(_offers(routes, "1.1.0").values()) == {"1.3.0"}
    assert set(_offers(routes, "1.3.0").values()) == {None}


def test_the_oldest_of_several_stones_comes_first(client, open_viewer):
    product, _ = open_viewer
    published_release(product=product, version="1.4.0", is_stepping_stone=True)
    published_release(product=product, version="1.5.0")
    routes = _open_routes(client)

    assert set(_offers(routes, "1.0.0").values()) == {"1.1.0"}
    assert set(_offers(routes, "1.1.0").values()) == {"1.4.0"}
    assert set(_offers(routes, "1.4.0").values()) == {"1.5.0"}


def test_a_caller_that_does_not_say_its_version_gets_the_newest(client, open_viewer):
    """electron-updater and DataShare send no version unless their URL carries one: the
    newest release, as before (docs/feeds.md says to put `?version=` in the feed URL)."""
    info = yaml.safe_load(client.get("/feeds/viewer/stable/latest.yml").content)
    assert info["version"] == "1.3.0"
    assert client.get("/api/updates/latest").json()["version"] == "1.3.0"


def test_a_halted_stone_holds_older_devices_back_rather_than_letting_them_skip_it(
    api_client, client, licensed, changed
):
    license, device, stone = licensed
    rollout = changed(rollout_start, release=stone, stages=[{"percent": 100}])
    routes = _licensed_routes(api_client, client, license, device)
    assert set(_offers(routes, "1.0.0").values()) == {"1.1.0"}

    changed(rollout_halt, rollout=rollout)

    assert set(_offers(routes, "1.0.0").values()) == {None}
    assert set(_offers(routes, "1.2.0").values()) == {"1.3.0"}  # past it: unaffected


def test_a_stone_under_rollout_is_offered_by_the_device_cohort(api_client, local_storage):
    """Outside the stone's cohort a device is offered nothing yet, never what lies beyond."""
    license = LicenseFactory()
    product = license.product
    published_release(product=product, version="1.0.0")
    stone = published_release(product=product, version="1.1.0", is_stepping_stone=True)
    published_release(product=product, version="1.2.0")
    devices = [DeviceFactory(license=license, app_version="1.0.0") for _ in range(30)]
    with_stone = rollout_start(release=stone, stages=[{"percent": 50}])
    forget_caches()
    offered = {d.pk: canonical(api_client, d, "1.0.0") for d in devices}

    expected = {
        d.pk: "1.1.0" if in_cohort(stone.pk, d.pk, with_stone.percent) else None for d in devices
    }
    assert offered == expected and set(offered.values()) == {"1.1.0", None}


def test_a_stone_is_mandatory_when_what_lies_beyond_is(api_client, licensed):
    license, device, _ = licensed
    published_release(product=license.product, version="1.4.0", is_mandatory=True)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    body = api_client.get("/api/v1/updates/check", {"version": "1.0.0"}).json()
    assert (body["version"], body["mandatory"]) == ("1.1.0", True)


def test_marking_a_release_a_stone_changes_the_offer_at_once(api_client, client, licensed, changed):
    license, device, _ = licensed
    later = license.product.releases.get(version="1.2.0")
    routes = _licensed_routes(api_client, client, license, device)
    assert set(_offers(routes, "1.1.0").values()) == {"1.3.0"}

    changed(release_update, release=later, is_stepping_stone=True)

    assert set(_offers(routes, "1.1.0").values()) == {"1.2.0"}


def test_the_management_api_sets_and_shows_the_flag(platform_client, local_storage):
    product = ProductFactory()
    created = platform_client.post(
        "/api/v1/manage/releases/",
        {"product": str(product.pk), "version": "2.0.0", "is_stepping_stone": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["is_stepping_stone"] is True
    url = f"/api/v1/manage/releases/{created.json()['id']}/"
    changed = platform_client.patch(url, {"is_stepping_stone": False}, format="json")
    assert changed.status_code == 200 and changed.json()["is_stepping_stone"] is False


def test_publish_release_marks_a_stone(local_storage, tmp_path):
    product = ProductFactory(slug="crm")
    build = tmp_path / "setup.exe"
    build.write_bytes(b"exe" * 100)
    call_command(
        "publish_release",
        "crm",
        "3.0.0",
        "--file",
        str(build),
        "--publish",
        "--stepping-stone",
        stdout=io.StringIO(),
    )
    assert product.releases.get(version="3.0.0").is_stepping_stone
