"""The real electron-updater (npm, tests/node) against the generic feed, in Node with a
stand-in `electron` module (tests/node/electron-standin): a packaged Linux AppImage on
1.0.0 whose app-update.yml names Relais' feed finds 2.0.0, downloads it through the feed's
URL, and electron-updater itself checks the file's sha512 against the feed's; a device of a
licensed product outside the rollout's cohort is told there is no update."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from devices.tests.factories import DeviceFactory
from licensing.models import Product
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.cohorts import in_cohort
from releases.services.releases import artifact_create, release_publish
from releases.services.rollouts import rollout_start
from releases.tests.factories import ReleaseFactory, forget_caches

pytestmark = pytest.mark.django_db(transaction=True)

NODE_DIR = Path(__file__).resolve().parents[2] / "tests" / "node"
NEW = os.urandom(300 * 1024)


@pytest.fixture(autouse=True)
def _fresh_caches():
    forget_caches()
    yield
    forget_caches()


def _publish(product, version, content):
    release = ReleaseFactory(product=product, version=version)
    artifact_create(
        release=release,
        file=ContentFile(content),
        platform="linux-x86_64",
        filename=f"viewer-{version}.AppImage",
    )
    return release_publish(release=release)


def _electron_updater(tmp_path, feed_url, credential=None) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "electron-updater").exists():
        pytest.skip("electron-updater is not installed: run `npm ci` in tests/node")
    tmp_path.mkdir(parents=True, exist_ok=True)
    old = tmp_path / "viewer-1.0.0.AppImage"
    old.write_bytes(b"the installed 1.0.0")
    work = tmp_path / "app"
    work.mkdir()
    done = subprocess.run(
        [node, str(NODE_DIR / "electron_updater_client.js"), feed_url, credential or "-"]
        + [str(work), str(old)],
        env={**os.environ, "STANDIN_APP_VERSION": "1.0.0", "STANDIN_APP_NAME": "viewer"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert events and events[-1]["event"] == "done", (done.stdout, done.stderr)
    return events


def _by_name(events) -> dict:
    return {e["event"]: e["data"] for e in events}


def test_electron_updater_finds_downloads_and_verifies_the_update(
    live_server, local_storage, tmp_path
):
    product = ProductFactory(slug="viewer", distribution=Product.Distribution.OPEN)
    _publish(product, "1.0.0", b"old build" * 1000)
    release = _publish(product, "2.0.0", NEW)
    artifact = release.artifacts.get()

    events = _by_name(_electron_updater(tmp_path, f"{live_server.url}/feeds/viewer/stable/"))

    assert "failed" not in events and "error" not in events, events
    assert events["checked"] == {"isUpdateAvailable": True, "version": "2.0.0"}
    sha512 = base64.b64encode(hashlib.sha512(NEW).digest()).decode()
    available = events["update-available"]
    assert available["files"] == [
        {
            "url": f"{live_server.url}/api/v1/updates/download/{artifact.pk}/viewer-2.0.0.AppImage",
            "sha512": sha512,
            "size": len(NEW),
        }
    ]
    # electron-updater downloaded the file and accepted it: its DigestTransform compared
    # the received bytes' sha512 with the feed's (a mismatch is ERR_CHECKSUM_MISMATCH).
    assert events["update-downloaded"]["version"] == "2.0.0"
    [downloaded] = events["downloaded"]["files"]
    assert Path(downloaded).read_bytes() == NEW
    release.refresh_from_db()
    assert release.downloads == 1


def test_a_device_outside_the_cohort_is_told_there_is_no_update(
    live_server, local_storage, tmp_path
):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    _publish(license.product, "1.0.0", b"old build" * 1000)
    release = _publish(license.product, "2.0.0", NEW)
    rollout_start(release=release, stages=[{"percent": 10}])
    devices = [
        DeviceFactory(license=license, platform="linux-x86_64", app_version="1.0.0")
        for _ in range(40)
    ]
    inside = next(d for d in devices if in_cohort(release.pk, d.pk, 10))
    outside = next(d for d in devices if not in_cohort(release.pk, d.pk, 10))
    forget_caches()
    feed = f"{live_server.url}/feeds/viewer/stable/"

    told = _by_name(_electron_updater(tmp_path / "outside", feed, outside.token))
    offered = _by_name(_electron_updater(tmp_path / "inside", feed, inside.token))

    assert "failed" not in told and "error" not in told, told
    assert told["checked"] == {"isUpdateAvailable": False, "version": "1.0.0"}
    assert "update-not-available" in told and "update-downloaded" not in told
    assert offered["checked"] == {"isUpdateAvailable": True, "version": "2.0.0"}
    assert Path(offered["downloaded"]["files"][0]).read_bytes() == NEW


def test_a_licensed_feed_without_the_header_is_an_error_for_the_updater(
    live_server, local_storage, tmp_path
):
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    _publish(license.product, "2.0.0", NEW)

    events = _by_name(_electron_updater(tmp_path, f"{live_server.url}/feeds/viewer/stable/"))

    assert "401" in events["failed"]["message"]
    assert "update-downloaded" not in events


def test_electron_updater_refuses_a_file_whose_sha512_differs_from_the_feeds(
    live_server, local_storage, tmp_path
):
    """The check is electron-updater's own: the stored file altered behind Relais' back
    (same size), the feed still names the sha512 of what was published, and the updater
    refuses what it received."""
    product = ProductFactory(slug="viewer", distribution=Product.Distribution.OPEN)
    release = _publish(product, "2.0.0", NEW)
    stored = local_storage / release.artifacts.get().file.name
    stored.write_bytes(bytes(len(NEW)))

    events = _by_name(_electron_updater(tmp_path, f"{live_server.url}/feeds/viewer/stable/"))

    assert events["checked"] == {"isUpdateAvailable": True, "version": "2.0.0"}
    assert events["failed"]["code"] == "ERR_CHECKSUM_MISMATCH", events
    assert "update-downloaded" not in events


def test_on_s3_a_device_downloads_through_the_presigned_redirect(live_server, s3_storage, tmp_path):
    """On S3 the feed's URL answers with a redirect to a presigned URL: electron-updater
    follows it without its Authorization header (builder-util-runtime strips it on a
    cross-origin redirect, which S3 would refuse beside the signature), then checks the
    sha512 of what S3 sent."""
    license = LicenseFactory(policy__product=ProductFactory(slug="viewer"))
    release = _publish(license.product, "2.0.0", NEW)
    device = DeviceFactory(license=license, platform="linux-x86_64", app_version="1.0.0")

    events = _by_name(
        _electron_updater(tmp_path, f"{live_server.url}/feeds/viewer/stable/", device.token)
    )

    assert "failed" not in events and "error" not in events, events
    assert events["update-downloaded"]["version"] == "2.0.0"
    assert Path(events["downloaded"]["files"][0]).read_bytes() == NEW
    release.refresh_from_db()
    assert release.downloads == 1
