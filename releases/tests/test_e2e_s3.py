"""End to end over HTTP, artifacts in a real S3 API (moto_server, or CI's configured one):
a CI pipeline uploads and publishes, nodes of each dialect check, download through the
presigned URL, verify the sha256 and report completion."""

import hashlib
import os

import pytest
import requests

from licensing.models import Product
from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = os.urandom(256 * 1024)
SHA256 = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def server(live_server, s3_storage):
    token = api_token_create(user=UserFactory(is_superuser=True)).token
    ci = requests.Session()
    ci.headers["Authorization"] = f"Bearer {token}"
    return live_server.url, ci


def _release(base, ci, product, version="1.1.0", platform="windows-x86_64"):
    """What a CI pipeline does: create, upload (multipart, streamed), publish."""
    response = ci.post(
        f"{base}/api/v1/manage/releases/",
        json={"product": product.pk, "version": version, "notes": "- Nouveautés\n- Correctifs"},
    )
    assert response.status_code == 201, response.text
    release = response.json()
    response = ci.post(
        f"{base}/api/v1/manage/artifacts/",
        data={"release": release["id"], "platform": platform, "size": str(len(CONTENT))},
        files={"file": ("setup.exe", CONTENT)},
    )
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == SHA256
    assert ci.post(f"{base}/api/v1/manage/releases/{release['id']}/publish/").ok
    return release


def _fetch(url, **kwargs) -> requests.Response:
    """Download as a node: the API answers 302 to a presigned S3 URL; the node follows it
    (without its Authorization header, as HTTP clients do across hosts)."""
    first = requests.get(url, allow_redirects=False, timeout=30, **kwargs)
    assert first.status_code == 302, first.text
    location = first.headers["Location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=" in location
    second = requests.get(location, timeout=30)
    assert second.status_code == 200
    return second


def test_crm_client_flow(server):
    base, ci = server
    license = LicenseFactory()
    _release(base, ci, license.product)
    node = requests.Session()
    node.headers["Authorization"] = f"Bearer {license.key}"
    hardware = {
        "hardwareId": "e2e-hw",
        "machineName": "PC-E2E",
        "osVersion": "10",
        "appVersion": "1.0.0",
    }
    registered = node.post(f"{base}/api/v1/updates/register-device", json=hardware)
    assert registered.status_code == 201
    offer = node.get(
        f"{base}/api/v1/updates/check",
        params={"hardwareId": "e2e-hw", "version": "1.0.0", "osVersion": "Windows 10"},
    ).json()
    assert offer["updateAvailable"] and offer["version"] == "1.1.0"
    download = _fetch(offer["downloadUrl"], headers={"Authorization": f"Bearer {license.key}"})
    assert hashlib.sha256(download.content).hexdigest() == offer["checksum"] == SHA256
    for status in ("DOWNLOADING", "DOWNLOADED", "INSTALLING", "COMPLETED"):
        response = node.post(
            f"{base}/api/v1/updates/status",
            json={"sessionId": offer["sessionId"], "status": status},
        )
        assert response.status_code == 200, response.text
    device = ci.get(f"{base}/api/v1/manage/devices/{registered.json()['deviceId']}/").json()
    assert device["app_version"] == "1.1.0"
    sessions = ci.get(f"{base}/api/v1/manage/update-sessions/").json()["results"]
    assert [s["status"] for s in sessions] == ["COMPLETED"]
    again = node.get(f"{base}/api/v1/updates/check", params={"hardwareId": "e2e-hw"}).json()
    assert again == {"updateAvailable": False}


def test_cybersensei_flow(server):
    base, ci = server
    license = LicenseFactory()
    _release(base, ci, license.product, platform="any")
    validated = requests.get(
        f"{base}/api/license/validate", params={"key": license.key}, timeout=30
    ).json()
    tenant_id = validated["tenantId"]
    check = requests.get(
        f"{base}/update/check", params={"tenantId": tenant_id, "version": "1.0.0"}, timeout=30
    )
    update = check.json()
    assert update["updateAvailable"] and update["latestVersion"] == "1.1.0"
    assert update["fileSize"] == len(CONTENT)
    download = _fetch(f"{base}/update/download/{update['updateId']}")
    assert hashlib.sha256(download.content).hexdigest() == SHA256


def test_datashare_flow(server):
    base, ci = server
    product = ProductFactory(distribution=Product.Distribution.OPEN)
    _release(base, ci, product, platform="any")
    manifest = requests.get(
        f"{base}/api/updates/latest", params={"product": product.slug}, timeout=30
    ).json()
    assert manifest["version"] == "1.1.0" and manifest["changelog"] == ["Nouveautés", "Correctifs"]
    download = _fetch(manifest["download_url"])
    assert hashlib.sha256(download.content).hexdigest() == manifest["sha256"] == SHA256


def test_download_urls_are_signed_for_the_public_s3_address(server, settings):
    """In docker the server reaches MinIO as http://minio:9000, devices by a public URL."""
    base, ci = server
    server_side = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    public = server_side.replace("127.0.0.1", "localhost")
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = public
    license = LicenseFactory()
    release = _release(base, ci, license.product, platform="any")
    artifact = ci.get(f"{base}/api/v1/manage/artifacts/", params={"release": release["id"]})
    artifact_id = artifact.json()["results"][0]["id"]
    download = _fetch(
        f"{base}/api/v1/updates/download/{artifact_id}",
        headers={"Authorization": f"Bearer {license.key}"},
    )
    assert download.url.startswith(public)
    assert hashlib.sha256(download.content).hexdigest() == SHA256
