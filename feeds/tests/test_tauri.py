"""Tauri's dynamic endpoint: 204 when up to date, else {version, notes, pub_date, url,
signature}, from the update check's offer."""

from datetime import datetime

import pytest
from django.core.files.base import ContentFile

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.services.releases import artifact_create, release_publish, release_yank
from releases.tests.factories import ReleaseFactory, published_release

pytestmark = pytest.mark.django_db
TAURI = "/feeds/viewer/stable/tauri"
SIGNATURE = "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkK"


def _signed_release(product, version, platform="linux-x86_64"):
    release = ReleaseFactory(product=product, version=version, notes=f"- {version}")
    artifact_create(
        release=release,
        file=ContentFile(b"appimage" * 100),
        platform=platform,
        filename=f"viewer_{version}_amd64.AppImage.tar.gz",
        signature=SIGNATURE,
    )
    return release_publish(release=release)


def test_an_update_is_tauris_json(client, open_product, local_storage):
    release = _signed_release(open_product, "1.2.0")
    artifact = release.artifacts.get()

    response = client.get(f"{TAURI}/linux/x86_64/1.0.0")

    assert response.status_code == 200
    body = response.json()
    url = f"http://testserver/api/v1/updates/download/{artifact.pk}/{artifact.filename}"
    assert body == {
        "version": "1.2.0",
        "notes": "- 1.2.0",
        "pub_date": body["pub_date"],
        "url": url,
        "signature": SIGNATURE,
    }
    assert datetime.fromisoformat(body["pub_date"]) == release.published_at  # RFC 3339
    downloaded = client.get(url.removeprefix("http://testserver"))
    assert b"".join(downloaded.streaming_content) == b"appimage" * 100


def test_up_to_date_is_a_204(client, open_product, local_storage):
    _signed_release(open_product, "1.2.0")

    assert client.get(f"{TAURI}/linux/x86_64/1.2.0").status_code == 204
    assert client.get(f"{TAURI}/linux/x86_64/1.3.0").status_code == 204


def test_target_and_arch_choose_the_artifact(client, open_product, local_storage):
    release = published_release(
        product=open_product, version="1.2.0", platforms=("macos-aarch64", "windows-x86_64")
    )
    mac = release.artifacts.get(platform="macos-aarch64")

    assert client.get(f"{TAURI}/darwin/aarch64/1.0.0").json()["url"].split("/")[-2] == str(mac.pk)
    # No artifact for this platform: nothing to install.
    assert client.get(f"{TAURI}/linux/aarch64/1.0.0").status_code == 204


def test_a_yanked_release_is_not_offered(client, open_product, local_storage, changed):
    _signed_release(open_product, "1.1.0")
    bad = _signed_release(open_product, "1.2.0")
    assert client.get(f"{TAURI}/linux/x86_64/1.0.0").json()["version"] == "1.2.0"

    changed(release_yank, release=bad)

    assert client.get(f"{TAURI}/linux/x86_64/1.0.0").json()["version"] == "1.1.0"


def test_licensed_feed_takes_the_tauri_headers(client, local_storage):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    device = DeviceFactory(license=license, platform="linux-x86_64")
    _signed_release(license.product, "1.2.0")

    anonymous = client.get(f"{TAURI}/linux/x86_64/1.0.0")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "NOT_AUTHENTICATED")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {device.token}"}
    assert client.get(f"{TAURI}/linux/x86_64/1.0.0", **headers).json()["version"] == "1.2.0"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/feeds/nope/stable/tauri/linux/x86_64/1.0.0", 404, "FEED_NOT_FOUND"),
        ("/feeds/viewer/nightly/tauri/linux/x86_64/1.0.0", 404, "FEED_NOT_FOUND"),
        (f"{TAURI}/freebsd/x86_64/1.0.0", 404, "FEED_NOT_FOUND"),
        (f"{TAURI}/linux/mips/1.0.0", 404, "FEED_NOT_FOUND"),
        (f"{TAURI}/linux/x86_64/not-a-version", 400, "INVALID_VERSION"),
        (f"{TAURI}/linux/x86_64", 404, "NOT_FOUND"),
    ],
)
def test_bad_input_is_json_with_a_code(client, open_product, local_storage, path, status, code):
    _signed_release(open_product, "1.2.0")

    response = client.get(path)

    assert (response.status_code, response.json()["code"]) == (status, code)
