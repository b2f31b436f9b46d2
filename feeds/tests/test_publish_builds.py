"""Publishing from the build tools' own output (issue 23, item 3): electron-builder's and
Velopack's folders, Tauri's `.sig`; the server recomputes every hash and refuses a
mismatch."""

import base64
import hashlib
import io
import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from licensing.tests.factories import ProductFactory
from releases.models import Release

pytestmark = pytest.mark.django_db


def _write(folder, name, data: bytes):
    (folder / name).write_bytes(data)
    return {
        "url": name,
        "sha512": base64.b64encode(hashlib.sha512(data).digest()).decode(),
        "size": len(data),
    }


@pytest.fixture
def dist(tmp_path):
    """electron-builder's dist/ for 2.0.0: Windows, macOS (Intel and Apple silicon zips,
    a dmg), Linux."""
    exe = _write(tmp_path, "Viewer Setup 2.0.0.exe", b"exe" * 300)
    mac = [
        _write(tmp_path, "Viewer-2.0.0-mac.zip", b"intel" * 300),
        _write(tmp_path, "Viewer-2.0.0-arm64-mac.zip", b"silicon" * 300),
        _write(tmp_path, "Viewer-2.0.0.dmg", b"dmg" * 300),
    ]
    linux = _write(tmp_path, "Viewer-2.0.0.AppImage", b"appimage" * 300)
    for name, files in (
        ("latest.yml", [exe]),
        ("latest-mac.yml", mac),
        ("latest-linux.yml", [linux]),
    ):
        info = {"version": "2.0.0", "files": files, "path": files[0]["url"]}
        (tmp_path / name).write_text(yaml.safe_dump(info))
    (tmp_path / "Viewer-2.0.0.AppImage.sig").write_text("dGF1cmktc2lnbmF0dXJl\n")
    return tmp_path


def _publish(*args):
    call_command("publish_release", "viewer", *args, stdout=io.StringIO())


def test_electron_builder_folder_is_published_with_its_version_and_hashes(local_storage, dist):
    product = ProductFactory(slug="viewer")

    _publish("--electron-builder", str(dist), "--publish")

    release = product.releases.get()
    assert (release.version, release.status) == ("2.0.0", Release.Status.PUBLISHED)
    artifacts = {a.platform: a for a in release.artifacts.all()}
    assert {p: a.filename for p, a in artifacts.items()} == {
        "windows-x86_64": "Viewer Setup 2.0.0.exe",
        "macos-x86_64": "Viewer-2.0.0-mac.zip",
        "macos-aarch64": "Viewer-2.0.0-arm64-mac.zip",
        "linux-x86_64": "Viewer-2.0.0.AppImage",
    }
    for artifact in artifacts.values():
        data = (dist / artifact.filename).read_bytes()
        assert artifact.sha512 == hashlib.sha512(data).hexdigest()  # the server's own
    assert artifacts["linux-x86_64"].signature == "dGF1cmktc2lnbmF0dXJl"  # Tauri's .sig


def test_a_build_whose_file_does_not_match_its_sha512_is_refused(local_storage, dist):
    product = ProductFactory(slug="viewer")
    (dist / "Viewer-2.0.0.AppImage").write_bytes(b"tampered" * 300)

    with pytest.raises(CommandError, match="CHECKSUM_MISMATCH"):
        _publish("--electron-builder", str(dist), "--publish")

    assert not product.releases.exists()  # nothing half made
    assert not any(local_storage.rglob("*.exe"))  # and no file left behind


def test_a_version_that_disagrees_with_the_folder_is_refused(local_storage, dist):
    ProductFactory(slug="viewer")
    with pytest.raises(CommandError, match="holds version 2.0.0"):
        _publish("2.1.0", "--electron-builder", str(dist))


def test_velopack_folder_publishes_its_full_packages(local_storage, tmp_path):
    product = ProductFactory(slug="viewer")
    full = b"full-nupkg" * 400
    (tmp_path / "Viewer-3.0.0-full.nupkg").write_bytes(full)
    (tmp_path / "Viewer-3.0.0-delta.nupkg").write_bytes(b"delta")
    assets = [
        {
            "PackageId": "Viewer",
            "Version": "3.0.0",
            "Type": "Full",
            "FileName": "Viewer-3.0.0-full.nupkg",
            "SHA1": hashlib.sha1(full).hexdigest().upper(),  # noqa: S324 - Velopack's field
            "SHA256": hashlib.sha256(full).hexdigest().upper(),
            "Size": len(full),
        },
        {
            "PackageId": "Viewer",
            "Version": "3.0.0",
            "Type": "Delta",
            "FileName": "Viewer-3.0.0-delta.nupkg",
            "SHA256": hashlib.sha256(b"delta").hexdigest().upper(),
            "Size": 5,
        },
    ]
    (tmp_path / "releases.win.json").write_text(json.dumps({"Assets": assets}))

    _publish("--velopack", str(tmp_path), "--publish")

    (artifact,) = product.releases.get(version="3.0.0").artifacts.all()
    assert (artifact.platform, artifact.filename) == ("windows-x86_64", "Viewer-3.0.0-full.nupkg")
    assert artifact.sha256 == hashlib.sha256(full).hexdigest()


def test_velopack_package_that_does_not_match_its_sha256_is_refused(local_storage, tmp_path):
    product = ProductFactory(slug="viewer")
    (tmp_path / "Viewer-3.0.0-full.nupkg").write_bytes(b"changed after packing")
    asset = {
        "Version": "3.0.0",
        "Type": "Full",
        "FileName": "Viewer-3.0.0-full.nupkg",
        "SHA256": "AB" * 32,
        "Size": 21,
    }
    (tmp_path / "releases.win.json").write_text(json.dumps({"Assets": [asset]}))

    with pytest.raises(CommandError, match="CHECKSUM_MISMATCH"):
        _publish("--velopack", str(tmp_path))
    assert not product.releases.exists()


def test_an_empty_folder_is_refused(local_storage, tmp_path):
    ProductFactory(slug="viewer")
    with pytest.raises(CommandError, match="No latest"):
        _publish("--electron-builder", str(tmp_path))
