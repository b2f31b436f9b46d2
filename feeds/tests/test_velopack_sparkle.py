"""Velopack's `releases.{channel}.json` and Sparkle's appcast, from the update check's
offer; packages checked by their hashes, Sparkle's and Tauri's signatures verified with
PyNaCl (libsodium), not with Relais' own signing code."""

import base64
import hashlib
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import nacl.signing
import pytest
from django.core.files.base import ContentFile

from devices.tests.factories import DeviceFactory
from licensing.models import Product
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.services.releases import artifact_create, release_publish
from releases.tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db
FEED = "/feeds/viewer/stable"
SPARKLE = "{http://www.andymatuschak.org/xml-namespaces/sparkle}"
# Velopack's VelopackAsset (src/lib-csharp/VelopackAsset.cs): every field, its JSON type.
VELOPACK_ASSET = {
    "PackageId": str,
    "Version": str,
    "Type": str,
    "FileName": str,
    "SHA1": str,
    "SHA256": str,
    "Size": int,
    "NotesMarkdown": str,
    "NotesHTML": str,
}
VENDOR_KEY = nacl.signing.SigningKey(b"\x07" * 32)  # the vendor's, as `generate_keys` makes


def _release(product, version, platform, filename, data, signature="", **fields):
    release = ReleaseFactory(product=product, version=version, notes=f"- {version}", **fields)
    artifact_create(
        release=release,
        file=ContentFile(data),
        platform=platform,
        filename=filename,
        signature=signature,
    )
    return release_publish(release=release)


def _download(client, url, **headers):
    response = client.get(url.removeprefix("http://testserver"), **headers)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --- Velopack -----------------------------------------------------------------------------


@pytest.fixture
def open_viewer(local_storage):
    return ProductFactory(slug="viewer", name="Viewer", distribution=Product.Distribution.OPEN)


def test_velopack_feed_is_its_schema_and_its_package_matches_its_hashes(client, open_viewer):
    data = b"nupkg" * 1000
    _release(open_viewer, "1.0.0", "windows-x86_64", "Viewer-1.0.0-full.nupkg", b"old")
    release = _release(open_viewer, "1.1.0", "windows-x86_64", "Viewer-1.1.0-full.nupkg", data)
    artifact = release.artifacts.get()

    response = client.get(f"{FEED}/releases.win.json", {"arch": "x64", "localVersion": "1.0.0"})

    assert response.status_code == 200
    (asset,) = response.json()["Assets"]
    assert {k: type(v) for k, v in asset.items()} == VELOPACK_ASSET
    assert asset | {"SHA256": None} == {
        "PackageId": "viewer",
        "Version": "1.1.0",
        "Type": "Full",
        "FileName": f"http://testserver/api/v1/updates/download/{artifact.pk}/{artifact.filename}",
        "SHA1": "",
        "SHA256": None,
        "Size": len(data),
        "NotesMarkdown": "- 1.1.0",
        "NotesHTML": "",
    }
    # Velopack downloads an absolute FileName as it is, then compares SHA256 (upper-case
    # hex) and size.
    downloaded = _download(client, asset["FileName"])
    assert asset["SHA256"] == hashlib.sha256(downloaded).hexdigest().upper()
    assert len(downloaded) == asset["Size"]


def test_velopack_up_to_date_is_an_empty_feed(client, open_viewer):
    _release(open_viewer, "1.1.0", "windows-x86_64", "Viewer-1.1.0-full.nupkg", b"x")
    response = client.get(f"{FEED}/releases.win.json", {"localVersion": "1.1.0", "id": "Viewer"})
    assert response.json() == {"Assets": []}
    offered = client.get(f"{FEED}/releases.win.json", {"localVersion": "1.0.0", "id": "Viewer"})
    assert offered.json()["Assets"][0]["PackageId"] == "Viewer"


@pytest.mark.parametrize(
    "path",
    [
        "releases.beos.json",  # an OS Velopack does not name
        "releases.win.json?arch=sparc",
    ],
)
def test_velopack_bad_input_is_a_json_404(client, open_viewer, path):
    _release(open_viewer, "1.1.0", "windows-x86_64", "Viewer-1.1.0-full.nupkg", b"x")
    response = client.get(f"{FEED}/{path}")
    assert response.status_code == 404 and response.json()["code"] == "FEED_NOT_FOUND"


def test_velopack_licensed_feed_takes_the_device_token(client, local_storage):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    device = DeviceFactory(license=license, platform="linux-x86_64", app_version="1.0.0")
    _release(license.product, "1.1.0", "linux-x86_64", "Viewer-1.1.0-full.nupkg", b"linux")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {device.token}"}

    assert client.get(f"{FEED}/releases.linux.json").status_code == 401
    (asset,) = client.get(f"{FEED}/releases.linux.json", **bearer).json()["Assets"]
    assert client.get(asset["FileName"].removeprefix("http://testserver")).status_code == 404
    assert _download(client, asset["FileName"], **bearer) == b"linux"


def test_velopack_feed_of_another_tenants_product_is_not_found(client, local_storage):
    mine = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    theirs = LicenseFactory(policy__product=ProductFactory(slug="other"))
    device = DeviceFactory(license=theirs)
    _release(mine.product, "1.1.0", "windows-x86_64", "Viewer-1.1.0-full.nupkg", b"x")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {device.token}"}
    assert client.get(f"{FEED}/releases.win.json", **bearer).status_code == 404


# --- Sparkle ------------------------------------------------------------------------------


def _appcast(client, **params):
    response = client.get(f"{FEED}/appcast.xml", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own answer, in a test


def test_sparkle_appcast_item_with_a_verified_ed_signature(client, open_viewer):
    data = b"dmg-bytes" * 500
    ed_signature = base64.b64encode(VENDOR_KEY.sign(data).signature).decode()  # sign_update
    release = _release(
        open_viewer, "1.1.0", "macos-aarch64", "Viewer-1.1.0.zip", data, ed_signature
    )

    channel = _appcast(client, arch="arm64", appVersion="1.0.0").find("channel")

    (item,) = channel.findall("item")
    assert item.findtext(f"{SPARKLE}version") == "1.1.0"
    assert item.findtext(f"{SPARKLE}shortVersionString") == "1.1.0"
    assert item.find(f"{SPARKLE}criticalUpdate") is None
    published = release.published_at.replace(microsecond=0)  # RFC 822: whole seconds
    assert parsedate_to_datetime(item.findtext("pubDate")) == published
    enclosure = item.find("enclosure")
    assert int(enclosure.get("length")) == len(data)
    downloaded = _download(client, enclosure.get("url"))
    # What Sparkle does: Ed25519 over the archive, with the vendor's public key.
    VENDOR_KEY.verify_key.verify(
        downloaded, base64.b64decode(enclosure.get(f"{SPARKLE}edSignature"))
    )


def test_sparkle_critical_update_and_up_to_date(client, open_viewer):
    _release(open_viewer, "1.1.0", "macos-x86_64", "Viewer-1.1.0.zip", b"zip", is_mandatory=True)
    (item,) = _appcast(client, appVersion="1.0.0").find("channel").findall("item")
    assert item.find(f"{SPARKLE}criticalUpdate") is not None
    assert _appcast(client, appVersion="1.1.0").find("channel").findall("item") == []


def test_sparkle_bad_arch_is_a_json_404(client, open_viewer):
    response = client.get(f"{FEED}/appcast.xml", {"arch": "ppc"})
    assert response.status_code == 404 and response.json()["code"] == "FEED_NOT_FOUND"


# --- Tauri: its minisign signature, verified ----------------------------------------------


def minisign(data: bytes, key: nacl.signing.SigningKey, key_id: bytes = b"RELAIS01") -> str:
    """A `.sig` as `tauri signer sign` writes it: base64 of minisign's text format
    (legacy `Ed` algorithm: Ed25519 over the file; then over signature + trusted comment)."""
    signature = key.sign(data).signature
    trusted = b"timestamp:1765000000\tfile:viewer.AppImage.tar.gz"
    global_signature = key.sign(signature + trusted).signature
    text = (
        b"untrusted comment: signature from tauri secret key\n"
        + base64.b64encode(b"Ed" + key_id + signature)
        + b"\ntrusted comment: "
        + trusted
        + b"\n"
        + base64.b64encode(global_signature)
        + b"\n"
    )
    return base64.b64encode(text).decode()


def test_tauri_signature_verifies_against_the_downloaded_file(client, open_viewer):
    data = b"appimage" * 700
    _release(
        open_viewer,
        "1.2.0",
        "linux-x86_64",
        "viewer.AppImage.tar.gz",
        data,
        minisign(data, VENDOR_KEY),
    )

    body = client.get(f"{FEED}/tauri/linux/x86_64/1.0.0").json()

    downloaded = _download(client, body["url"])
    lines = base64.b64decode(body["signature"]).split(b"\n")
    blob = base64.b64decode(lines[1])
    assert blob[:2] == b"Ed" and blob[2:10] == b"RELAIS01"
    VENDOR_KEY.verify_key.verify(downloaded, blob[10:])
    trusted = lines[2].removeprefix(b"trusted comment: ")
    VENDOR_KEY.verify_key.verify(blob[10:] + trusted, base64.b64decode(lines[3]))
