"""electron-updater's generic provider: `latest*.yml` in electron-builder's format, from the
update check's offer."""

import base64
import hashlib
from datetime import datetime

import pytest
import yaml

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.services.releases import release_yank
from releases.services.rollouts import rollout_halt, rollout_start
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
FEED = "/feeds/viewer/stable"


def _feed(client, path, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/yaml")
    return yaml.safe_load(response.content)


def test_latest_yml_is_electron_builders_format(client, open_product, local_storage):
    content = b"installer bytes" * 500
    release = published_release(
        product=open_product, version="1.4.0", content=content, notes="- Faster sync"
    )
    artifact = release.artifacts.get()

    info = _feed(client, f"{FEED}/latest.yml")

    sha512 = base64.b64encode(hashlib.sha512(content).digest()).decode()
    url = f"http://testserver/api/v1/updates/download/{artifact.pk}/{artifact.filename}"
    assert info == {
        "version": "1.4.0",
        "files": [{"url": url, "sha512": sha512, "size": len(content)}],
        "path": url,
        "sha512": sha512,
        "releaseDate": info["releaseDate"],
        "releaseNotes": "- Faster sync",
    }
    # electron-builder's releaseDate: an ISO 8601 string (quoted, not a YAML timestamp).
    assert isinstance(info["releaseDate"], str) and info["releaseDate"].endswith("Z")
    published = release.published_at.replace(
        microsecond=release.published_at.microsecond // 1000 * 1000
    )
    assert datetime.fromisoformat(info["releaseDate"]) == published
    # The URL is the download route's, and what it serves matches the feed's sha512.
    downloaded = client.get(url.removeprefix("http://testserver"))
    assert downloaded.status_code == 200
    body = b"".join(downloaded.streaming_content)
    assert base64.b64encode(hashlib.sha512(body).digest()).decode() == sha512


@pytest.mark.parametrize(
    ("filename", "platform"),
    [
        ("latest.yml", "windows-x86_64"),
        ("latest-mac.yml", "macos-x86_64"),
        ("latest-linux.yml", "linux-x86_64"),
        ("latest-linux-arm64.yml", "linux-aarch64"),
    ],
)
def test_each_file_serves_its_platforms_artifact(
    client, open_product, local_storage, filename, platform
):
    platforms = ("windows-x86_64", "macos-x86_64", "linux-x86_64", "linux-aarch64")
    release = published_release(product=open_product, version="2.0.0", platforms=platforms)
    artifact = release.artifacts.get(platform=platform)

    info = _feed(client, f"{FEED}/{filename}")

    assert info["files"][0]["size"] == artifact.size
    assert info["path"].split("/")[-2] == str(artifact.pk)


def test_a_device_gets_its_own_architecture_from_latest_mac_yml(client, local_storage):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    device = DeviceFactory(license=license, platform="macos-aarch64")
    release = published_release(
        product=license.product, version="2.0.0", platforms=("macos-x86_64", "macos-aarch64")
    )
    arm = release.artifacts.get(platform="macos-aarch64")

    info = _feed(client, f"{FEED}/latest-mac.yml", HTTP_AUTHORIZATION=f"Bearer {device.token}")

    assert info["path"].split("/")[-2] == str(arm.pk)


def test_the_anonymous_feed_carries_the_running_rollouts_percent(
    client, open_product, local_storage, changed
):
    published_release(product=open_product, version="1.0.0")
    release = published_release(product=open_product, version="1.1.0")
    rollout = changed(rollout_start, release=release, stages=[{"percent": 10}])

    info = _feed(client, f"{FEED}/latest.yml")
    assert (info["version"], info["stagingPercentage"]) == ("1.1.0", 10)

    changed(rollout_halt, rollout=rollout)
    info = _feed(client, f"{FEED}/latest.yml")
    assert info["version"] == "1.0.0"
    assert "stagingPercentage" not in info


def test_a_release_rolled_out_to_everybody_has_no_staging(
    client, open_product, local_storage, changed
):
    release = published_release(product=open_product, version="1.1.0")
    changed(rollout_start, release=release, stages=[{"percent": 100}])

    assert "stagingPercentage" not in _feed(client, f"{FEED}/latest.yml")


def test_a_yanked_release_leaves_the_feed(client, open_product, local_storage, changed):
    published_release(product=open_product, version="1.0.0")
    bad = published_release(product=open_product, version="1.1.0")
    assert _feed(client, f"{FEED}/latest.yml")["version"] == "1.1.0"

    changed(release_yank, release=bad)

    assert _feed(client, f"{FEED}/latest.yml")["version"] == "1.0.0"


def test_the_channel_in_the_url_is_the_channel_seen(client, open_product, local_storage):
    published_release(product=open_product, version="1.0.0")
    published_release(product=open_product, version="1.1.0-beta.1", channel="beta")

    assert _feed(client, f"{FEED}/latest.yml")["version"] == "1.0.0"
    assert _feed(client, "/feeds/viewer/beta/latest.yml")["version"] == "1.1.0-beta.1"


def test_a_licensed_products_feed_needs_credentials(client, local_storage):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    device = DeviceFactory(license=license)
    published_release(product=license.product, version="1.1.0")

    anonymous = client.get(f"{FEED}/latest.yml")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "NOT_AUTHENTICATED"

    by_device = _feed(client, f"{FEED}/latest.yml", HTTP_AUTHORIZATION=f"Bearer {device.token}")
    by_key = _feed(client, f"{FEED}/latest.yml", HTTP_AUTHORIZATION=f"Bearer {license.key}")
    assert by_device["version"] == by_key["version"] == "1.1.0"
    # The artifact's URL is the download route, which takes the same credentials.
    url = by_device["path"].removeprefix("http://testserver")
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {device.token}").status_code == 200


def test_another_products_credentials_find_no_feed(client, open_product, local_storage):
    published_release(product=open_product, version="1.0.0")
    device = DeviceFactory()

    response = client.get(f"{FEED}/latest.yml", HTTP_AUTHORIZATION=f"Bearer {device.token}")

    assert response.status_code == 404
    assert response.json()["code"] == "FEED_NOT_FOUND"


def test_a_bad_credential_is_refused_as_json(client, open_product):
    response = client.get(f"{FEED}/latest.yml", HTTP_AUTHORIZATION="Bearer dvt_nope")

    assert response.status_code == 403
    assert response.json()["code"] == "DEVICE_NOT_ACTIVATED"


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/nope/stable/latest.yml",  # unknown product
        "/feeds/viewer/nightly/latest.yml",  # unknown channel
        "/feeds/viewer/stable/latest-win.yml",  # a file the provider never asks for
        "/feeds/viewer/stable/latest-linux-mips.yml",
        "/feeds/viewer/beta/latest.yml",  # nothing published for it yet
    ],
)
def test_bad_input_is_a_404_with_a_code(client, open_product, local_storage, path):
    published_release(product=open_product, version="1.0.0", platform="linux-x86_64")
    ProductFactory(slug="other")

    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "FEED_NOT_FOUND"
