"""The rule for clients that name no platform (seeds 001 and 002, and any device registered
without one): `any`, else a release's only artifact, else a 400 naming the platforms —
never an older release in silence. Over HTTP, through each dialect the seeds use."""

import pytest

from devices.tests.factories import DeviceFactory
from licensing.models import Product
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
BOTH = ["linux-x86_64", "windows-x86_64"]


def _check(client, device, **params):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client.get("/api/v1/updates/check", {"version": "1.0.0", **params})


@pytest.fixture
def device(local_storage):
    device = DeviceFactory(platform="", os_version="", app_version="1.0.0")
    published_release(product=device.product, version="1.1.0", platform="windows-x86_64")
    published_release(product=device.product, version="1.2.0", platforms=BOTH)
    return device


def test_canonical_check_names_the_platforms_instead_of_an_older_release(api_client, device):
    response = _check(api_client, device)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "PLATFORM_REQUIRED" and body["platforms"] == BOTH
    assert "linux-x86_64, windows-x86_64" in body["message"]
    # Naming one gets the newest release, its artifact for that platform.
    offer = _check(api_client, device, platform="linux-x86_64").json()
    assert offer["version"] == "1.2.0"


def test_a_client_already_on_the_newest_release_is_told_it_is_up_to_date(api_client, device):
    response = _check(api_client, device, version="1.2.0")
    assert response.status_code == 200 and response.json()["updateAvailable"] is False


def test_an_any_artifact_or_a_single_one_is_offered_without_a_platform(
    api_client, device, django_capture_on_commit_callbacks
):
    published_release(product=device.product, version="1.3.0", platforms=[*BOTH, "any"])
    assert _check(api_client, device).json()["version"] == "1.3.0"
    with django_capture_on_commit_callbacks(execute=True):  # the catalogue is invalidated
        published_release(product=device.product, version="1.4.0", platform="linux-aarch64")
    assert _check(api_client, device).json()["version"] == "1.4.0"


def test_cybersensei_check_refuses_in_the_seed_shape(api_client, local_storage):
    license = LicenseFactory()
    published_release(product=license.product, version="1.1.0", platform="linux-x86_64")
    published_release(product=license.product, version="1.2.0", platforms=BOTH)
    params = {"tenantId": license.tenant_id, "version": "1.0.0"}
    response = api_client.get("/update/check", params)
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and "plusieurs plateformes" in body["message"]
    assert "(linux-x86_64, windows-x86_64)" in body["message"]
    named = api_client.get("/update/check", {**params, "platform": "windows-x86_64"}).json()
    assert named["latestVersion"] == "1.2.0" and named["updateAvailable"] is True


def test_datashare_manifest_refuses_then_serves_the_named_platform(api_client, local_storage):
    product = ProductFactory(slug="datashare", distribution=Product.Distribution.OPEN)
    published_release(product=product, version="1.1.0", platform="windows-x86_64")
    release = published_release(product=product, version="1.2.0", platforms=BOTH)
    response = api_client.get("/api/updates/latest")
    assert response.status_code == 400
    assert response.json()["code"] == "PLATFORM_REQUIRED"
    assert response.json()["platforms"] == BOTH
    named = api_client.get("/api/updates/latest", {"platform": "linux-x86_64"}).json()
    assert named["version"] == "1.2.0"
    assert named["sha256"] == release.artifacts.get(platform="linux-x86_64").sha256
