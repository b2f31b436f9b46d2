import hashlib

import pytest

from devices.tests.factories import DeviceFactory
from licensing.models import Product
from licensing.tests.factories import ProductFactory, TenantFactory
from releases.services.releases import release_yank
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 40  # 10 240 bytes


@pytest.fixture
def setup(api_client, local_storage):
    product = ProductFactory()
    device = DeviceFactory(license__policy__product=product)
    release = published_release(product=product, version="1.1.0", content=CONTENT)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return api_client, device, release.artifacts.get()


def _url(artifact):
    return f"/api/v1/updates/download/{artifact.pk}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_local_download_is_the_file(setup):
    client, _, artifact = setup
    response = client.get(_url(artifact))
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    body = _body(response)
    assert hashlib.sha256(body).hexdigest() == artifact.sha256
    assert response["Content-Length"] == str(len(CONTENT))
    assert "app-1.1.0.zip" in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("header", "expected", "content_range"),
    [
        ("bytes=0-99", CONTENT[:100], "bytes 0-99/10240"),
        ("bytes=10000-", CONTENT[10000:], "bytes 10000-10239/10240"),
        ("bytes=-40", CONTENT[-40:], "bytes 10200-10239/10240"),
        ("bytes=10200-99999", CONTENT[10200:], "bytes 10200-10239/10240"),
    ],
)
def test_ranges(setup, header, expected, content_range):
    client, _, artifact = setup
    response = client.get(_url(artifact), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == content_range
    assert _body(response) == expected


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=50000-60000", "bytes=500-100"])
def test_a_range_past_the_end_is_416_json(setup, header):
    client, _, artifact = setup
    response = client.get(_url(artifact), HTTP_RANGE=header)
    assert response.status_code == 416 and response.json()["code"] == "RANGE_NOT_SATISFIABLE"


def test_multiple_ranges_get_the_whole_file(setup):
    client, _, artifact = setup
    response = client.get(_url(artifact), HTTP_RANGE="bytes=0-1,5-6")
    assert response.status_code == 200 and _body(response) == CONTENT


def test_the_license_key_alone_downloads_like_the_crm_client(setup):
    client, device, artifact = setup
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    assert client.get(_url(artifact)).status_code == 200


def test_forbidden_artifacts_look_unknown(setup, api_client):
    client, device, artifact = setup
    other_product = published_release(product=ProductFactory(), version="2.0.0")
    restricted = published_release(product=device.product, version="3.0.0", tenant=TenantFactory())
    yanked = published_release(product=device.product, version="4.0.0")
    release_yank(release=yanked)
    for release in (other_product, restricted, yanked):
        response = client.get(_url(release.artifacts.get()))
        assert response.status_code == 404 and response.json()["code"] == "ARTIFACT_NOT_FOUND"
    assert client.get("/api/v1/updates/download/not-a-uuid").status_code == 404
    anonymous = api_client.__class__()
    assert anonymous.get(_url(artifact)).status_code == 404  # licensed product: no anonymity


def test_open_products_download_anonymously(api_client, local_storage):
    product = ProductFactory(distribution=Product.Distribution.OPEN)
    artifact = published_release(product=product, version="1.0.0").artifacts.get()
    assert api_client.get(_url(artifact)).status_code == 200


def test_maintenance_expiry_blocks_newer_downloads(setup):
    from datetime import timedelta

    from django.utils import timezone

    client, device, artifact = setup
    license = device.license
    license.updates_until = timezone.now() - timedelta(days=1)
    license.save()
    response = client.get(_url(artifact))
    assert response.status_code == 403 and response.json()["code"] == "MAINTENANCE_EXPIRED"


def test_a_file_storage_lost_is_a_json_404_and_no_download_counted(setup):
    from django.core.files.storage import default_storage

    client, _, artifact = setup
    default_storage.delete(artifact.file.name)
    response = client.get(_url(artifact))
    assert response.status_code == 404
    assert response.json()["code"] == "ARTIFACT_FILE_MISSING"
    artifact.release.refresh_from_db()
    assert artifact.release.downloads == 0
