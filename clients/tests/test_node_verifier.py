"""Signatures made here verify in Node.js's built-in `crypto` (clients/relais-verify.mjs run
as a subprocess), and the same client rules refuse what they must."""

import json
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.tests.factories import DeviceFactory
from releases.tests.factories import published_release

NODE = shutil.which("node")
SCRIPT = Path(__file__).resolve().parents[1] / "relais-verify.mjs"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(NODE is None, reason="Node.js is not installed (apt-get install nodejs)"),
]


def _node(tmp_path, *args, keys, document) -> dict:
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    (tmp_path / "doc").write_text(document)
    result = subprocess.run(
        [NODE, str(SCRIPT), args[0], str(tmp_path / "keys.json"), str(tmp_path / "doc"), *args[1:]],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def device():
    return DeviceFactory(app_version="1.0.0")


@pytest.fixture
def keys(api_client):
    return api_client.get("/api/v1/keys").json()


def test_node_verifies_an_update_manifest_and_applies_the_client_rules(
    api_client, device, keys, tmp_path
):
    published_release(product=device.product, version="1.1.0")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    body = api_client.get("/api/v1/updates/check", {"version": "1.0.0"}).json()
    manifest = json.loads(body["manifest"])
    serial = manifest["serial"]

    def run(document=body, *args, trusted=keys):
        return _node(tmp_path, "manifest", *args, keys=trusted, document=json.dumps(document))

    ok = run(body, str(serial))
    assert ok["ok"] is True and ok["manifest"] == manifest
    expires = datetime.fromisoformat(manifest["expiresAt"].replace("Z", "+00:00"))
    forged = body | {"manifest": body["manifest"].replace('"1.1.0"', '"1.1.1"')}
    other = {"keys": [keys["keys"][0] | {"kid": "0123456789abcdef"}]}
    expired_key = {"keys": [keys["keys"][0] | {"notAfter": "2020-01-01T00:00:00Z"}]}
    assert run(forged)["code"] == "BAD_SIGNATURE"
    assert run(body, trusted=other)["code"] == "UNKNOWN_KID"
    assert run(body, trusted=expired_key)["code"] == "KEY_EXPIRED"
    assert run(body, str(serial + 1))["code"] == "ROLLBACK"
    assert run(body, "", _iso(expires))["code"] == "MANIFEST_EXPIRED"
    assert run(body, "", _iso(expires - timedelta(seconds=1)))["ok"] is True


def test_node_verifies_a_license_file_for_its_product_and_device(
    api_client, device, keys, tmp_path
):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    body = api_client.get("/api/v1/license/file").json()
    slug, hw = device.product.slug, device.hardware_id

    def run(*args, document=body["licenseFile"], trusted=keys):
        return _node(tmp_path, "license", *args, keys=trusted, document=document)

    ok = run(slug, hw)
    assert ok["ok"] is True and ok["license"]["device"]["hardwareId"] == hw
    valid_until = datetime.fromisoformat(body["validUntil"].replace("Z", "+00:00"))
    lines = body["licenseFile"].splitlines()
    lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
    assert run(slug, hw, document="\n".join(lines))["ok"] is False
    assert run("other-product", hw)["code"] == "PRODUCT_MISMATCH"
    assert run(slug, "hw-elsewhere")["code"] == "DEVICE_MISMATCH"
    assert run(slug, hw, _iso(valid_until))["code"] == "LICENSE_FILE_EXPIRED"
    other = {"keys": [keys["keys"][0] | {"kid": "0123456789abcdef"}]}
    assert run(slug, hw, trusted=other)["code"] == "UNKNOWN_KID"
