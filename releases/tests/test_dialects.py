import hashlib
import time

import pytest
from django.core import signing
from django.test import override_settings

from licensing.models import License, Product
from licensing.tests.factories import LicenseFactory, ProductFactory, TenantFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
CS_CHECK = "/update/check"
DS_LATEST = "/api/updates/latest"
# What signing adds to an offer; the seeds' clients ignore extra fields.
SIGNED = {"manifest", "signature", "kid"}


def _seed_part(body: dict, extra: set) -> dict:
    """The body without the extra fields, which must all be there."""
    assert set(body) >= extra
    return {k: v for k, v in body.items() if k not in extra}


@pytest.fixture
def node(local_storage):
    """A CyberSensei tenant with a valid license and two releases."""
    license = LicenseFactory()
    published_release(product=license.product, version="1.1.0")
    latest = published_release(
        product=license.product,
        version="1.2.0",
        notes="- Correctifs de sécurité critiques\n- Nouveaux exercices",
        content=b"zip" * 1000,
    )
    return license, latest


def test_cybersensei_update_available_body(api_client, node):
    license, latest = node
    response = api_client.get(CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"})
    assert response.status_code == 200
    body = response.json()
    update_id = body.pop("updateId")
    assert body["checksum"] == latest.artifacts.get().sha256
    assert _seed_part(body, SIGNED | {"checksum", "vendorSignature"}) == {
        "updateAvailable": True,
        "currentVersion": "1.0.0",
        "latestVersion": "1.2.0",
        "changelog": "- Correctifs de sécurité critiques\n- Nouveaux exercices",
        "fileSize": 3000,
    }
    # Opaque and signed: it names the artifact and the tenant it was issued to.
    assert update_id.startswith(f"{latest.artifacts.get().pk}.{license.tenant_id}:")


def test_cybersensei_up_to_date_body(api_client, node):
    license, _ = node
    response = api_client.get(CS_CHECK, {"tenantId": license.tenant_id, "version": "1.2.0"})
    assert response.json() == {
        "updateAvailable": False,
        "currentVersion": "1.2.0",
        "latestVersion": "1.2.0",
        "updateId": None,
        "changelog": None,
        "fileSize": None,
    }


def test_cybersensei_download_by_update_id(api_client, node):
    license, latest = node
    update_id = api_client.get(
        CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"}
    ).json()["updateId"]
    response = api_client.get(f"/update/download/{update_id}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == latest.artifacts.get().sha256


def test_cybersensei_download_needs_the_signed_id_and_a_valid_license(api_client, node):
    license, latest = node
    artifact = latest.artifacts.get()
    update_id = api_client.get(
        CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"}
    ).json()["updateId"]
    for forged in (str(artifact.pk), update_id[:-2] + "xx", f"{artifact.pk}.{TenantFactory().pk}"):
        response = api_client.get(f"/update/download/{forged}")
        assert response.status_code == 404 and response.json()["statusCode"] == 404
    License.objects.filter(pk=license.pk).update(status=License.Status.REVOKED)
    response = api_client.get(f"/update/download/{update_id}")
    assert response.status_code == 400 and response.json()["code"] == "REVOKED"


def test_cybersensei_update_id_expires(api_client, node, monkeypatch, settings):
    license, latest = node
    settings.RELAIS_CYBERSENSEI_UPDATE_ID_TTL = 600
    update_id = api_client.get(
        CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"}
    ).json()["updateId"]
    issued = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: issued + 599)
    assert api_client.get(f"/update/download/{update_id}").status_code == 200
    monkeypatch.setattr(signing.time, "time", lambda: issued + 601)
    response = api_client.get(f"/update/download/{update_id}")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": "Fichier introuvable.",  # the seed's language, by default
        "code": "ARTIFACT_NOT_FOUND",
    }


def test_cybersensei_restricted_release_offered_and_served_to_its_tenant(api_client, node):
    license, _ = node
    own = published_release(product=license.product, version="9.0.0", tenant=license.tenant)
    published_release(product=license.product, version="10.0.0", tenant=TenantFactory())
    body = api_client.get(CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"}).json()
    assert body["latestVersion"] == "9.0.0"
    response = api_client.get(f"/update/download/{body['updateId']}")
    assert response.status_code == 200
    digest = hashlib.sha256(b"".join(response.streaming_content)).hexdigest()
    assert digest == own.artifacts.get().sha256


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (
            lambda: LicenseFactory(tenant=TenantFactory(is_active=False)).tenant_id,
            400,
            "Tenant inactif",
        ),
        (
            lambda: LicenseFactory(expires_at="2020-01-01T00:00:00Z").tenant_id,
            400,
            "Licence expirée",
        ),
        (lambda: "00000000-0000-4000-8000-000000000000", 404, None),
    ],
)
def test_cybersensei_check_errors(api_client, make, status, message):
    response = api_client.get(
        CS_CHECK, {"tenantId": make(), "version": "1.0.0"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == status
    assert response.json()["statusCode"] == status
    if message:
        assert response.json()["message"] == message


def test_cybersensei_bad_input(api_client):
    response = api_client.get(CS_CHECK, {"tenantId": "nope", "version": "1.0.0"})
    assert response.status_code == 400 and response.json()["statusCode"] == 400
    assert api_client.get(CS_CHECK, {"version": "1.0.0"}).status_code == 400


def test_cybersensei_tenant_with_two_products_names_one(api_client, node):
    license, _ = node
    other = LicenseFactory(tenant=license.tenant)
    response = api_client.get(CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"})
    assert response.status_code == 400 and response.json()["code"] == "PRODUCT_REQUIRED"
    response = api_client.get(
        CS_CHECK,
        {"tenantId": license.tenant_id, "version": "1.0.0", "product": other.product.slug},
    )
    assert response.json()["updateAvailable"] is False


def test_cybersensei_suspended_license_says_so(api_client, node):
    license, _ = node
    License.objects.filter(pk=license.pk).update(status=License.Status.SUSPENDED)
    response = api_client.get(
        CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": "Licence suspendue",
        "code": "SUSPENDED",
    }


@pytest.fixture
def datashare(local_storage):
    product = ProductFactory(slug="datashare", distribution=Product.Distribution.OPEN)
    published_release(product=product, version="1.1.0")
    return published_release(
        product=product,
        version="1.2.0",
        notes="- Nouveau design\n- Support Drag & Drop",
    )


def test_datashare_manifest(api_client, datashare):
    response = api_client.get(DS_LATEST)
    assert response.status_code == 200
    body = response.json()
    artifact = datashare.artifacts.get()
    assert _seed_part(body, SIGNED | {"vendor_signature"}) == {
        "version": "1.2.0",
        "release_date": datashare.published_at.date().isoformat(),
        "download_url": f"http://testserver/api/v1/updates/download/{artifact.pk}",
        "changelog": ["Nouveau design", "Support Drag & Drop"],
        "sha256": artifact.sha256,
    }
    assert api_client.get(DS_LATEST, {"product": "datashare"}).json() == body
    download = api_client.get(body["download_url"])
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == body["sha256"]


def test_datashare_only_serves_open_products(api_client, datashare):
    licensed = LicenseFactory().product
    published_release(product=licensed, version="5.0.0")
    response = api_client.get(DS_LATEST, {"product": licensed.slug})
    assert response.status_code == 404 and response.json()["code"] == "PRODUCT_NOT_FOUND"


def test_datashare_with_several_open_products_needs_a_name(api_client, datashare):
    ProductFactory(distribution=Product.Distribution.OPEN)
    response = api_client.get(DS_LATEST)
    assert response.status_code == 400 and response.json()["code"] == "PRODUCT_REQUIRED"


def test_datashare_nothing_published(api_client):
    ProductFactory(distribution=Product.Distribution.OPEN)
    response = api_client.get(DS_LATEST)
    assert response.status_code == 404 and response.json()["code"] == "NO_RELEASE"


@override_settings(RELAIS_DIALECT_CYBERSENSEI=False, RELAIS_DIALECT_DATASHARE=False)
def test_dialects_can_be_turned_off(api_client, node, datashare):
    license, latest = node
    assert (
        api_client.get(CS_CHECK, {"tenantId": license.tenant_id, "version": "1"}).status_code == 404
    )
    assert api_client.get(f"/update/download/{latest.artifacts.get().pk}").status_code == 404
    assert api_client.get(DS_LATEST).status_code == 404


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/license/validate", {"key": "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"}),
        (CS_CHECK, {"tenantId": "00000000-0000-4000-8000-000000000000", "version": "1.0.0"}),
    ],
)
def test_cybersensei_speaks_french_unless_asked_otherwise(api_client, url, params):
    """Its client sends no Accept-Language: the seed's messages are French."""
    french = api_client.get(url, params)
    assert french["Content-Language"] == "fr"
    english = api_client.get(url, params, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english["Content-Language"] == "en"
    assert french.json()["message"] != english.json()["message"]
    assert french.json()["code"] == english.json()["code"]
    unknown = api_client.get(url, params, HTTP_ACCEPT_LANGUAGE="de")
    assert unknown.json()["message"] == french.json()["message"]


def test_cybersensei_messages_are_the_seeds_without_accept_language(api_client):
    response = api_client.get(
        "/api/license/validate", {"key": "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"}
    )
    assert response.json()["message"] == "Clé de licence invalide"
    expired = LicenseFactory(expires_at="2020-01-01T00:00:00Z")
    response = api_client.get(CS_CHECK, {"tenantId": expired.tenant_id, "version": "1.0.0"})
    assert response.json()["message"] == "Licence expirée"


def test_cybersensei_tenant_with_two_products_gets_the_served_one(api_client, node):
    license, latest = node
    LicenseFactory(tenant=license.tenant)
    with override_settings(RELAIS_CYBERSENSEI_PRODUCT=license.product.slug):
        response = api_client.get(CS_CHECK, {"tenantId": license.tenant_id, "version": "1.0.0"})
        assert response.status_code == 200 and response.json()["latestVersion"] == "1.2.0"
        update_id = response.json()["updateId"]
        assert api_client.get(f"/update/download/{update_id}").status_code == 200


def test_cybersensei_control_characters_are_refused_in_the_seed_shape(api_client):
    # Found by schemathesis: the early refusal lacked the seed's `statusCode`.
    response = api_client.get(CS_CHECK, {"tenantId": "x\x9b", "version": "1.0.0"})
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert response.json()["code"] == "INVALID_CHARACTERS"
    response = api_client.get("/update/download/%C2%98W")
    assert response.status_code == 400 and response.json()["statusCode"] == 400
    response = api_client.get("/api/v1/updates/check", {"hardwareId": "x\x9b"})
    assert response.status_code == 400 and "statusCode" not in response.json()
