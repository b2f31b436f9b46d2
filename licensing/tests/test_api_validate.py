from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from licensing.models import License
from licensing.tests.factories import LicenseFactory, TenantFactory

pytestmark = pytest.mark.django_db

CANONICAL = "/api/v1/licenses/validate"
CYBERSENSEI = "/api/license/validate"


def _refused(code):
    """A license that validates to `code`."""
    past = timezone.now() - timedelta(days=1)
    return {
        "EXPIRED": lambda: LicenseFactory(expires_at=past),
        "SUSPENDED": lambda: LicenseFactory(status=License.Status.SUSPENDED),
        "REVOKED": lambda: LicenseFactory(status=License.Status.REVOKED),
        "TENANT_INACTIVE": lambda: LicenseFactory(tenant=TenantFactory(is_active=False)),
        "USAGE_LIMIT_EXCEEDED": lambda: LicenseFactory(max_validations=1, validation_count=1),
    }[code]()


MESSAGES = {
    "VALID": ("License is valid.", "Licence valide"),
    "NOT_FOUND": ("Invalid license key.", "Clé de licence invalide"),
    "EXPIRED": ("License expired.", "Licence expirée"),
    "SUSPENDED": ("License suspended.", "Licence suspendue"),
    "REVOKED": ("License revoked.", "Licence révoquée"),
    "TENANT_INACTIVE": ("Tenant inactive.", "Tenant inactif"),
    "USAGE_LIMIT_EXCEEDED": (
        "License usage limit exceeded.",
        "Limite d'utilisation de la licence atteinte",
    ),
    "PRODUCT_MISMATCH": (
        "License is not valid for this product.",
        "Licence non valable pour ce produit",
    ),
}
LANGS = [("en", 0), ("fr", 1)]


@pytest.mark.parametrize(("lang", "idx"), LANGS)
def test_canonical_valid(api_client, lang, idx):
    license = LicenseFactory(max_validations=100)
    response = api_client.post(
        CANONICAL, {"key": license.key}, format="json", HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True and body["code"] == "VALID"
    assert body["message"] == MESSAGES["VALID"][idx]
    assert body["license"]["tenantId"] == str(license.tenant_id)
    assert body["license"]["validationCount"] == 1
    assert body["license"]["maxValidations"] == 100
    assert body["license"]["keyPrefix"] == license.key[:8]


@pytest.mark.parametrize(("lang", "idx"), LANGS)
@pytest.mark.parametrize(
    "code", ["EXPIRED", "SUSPENDED", "REVOKED", "TENANT_INACTIVE", "USAGE_LIMIT_EXCEEDED"]
)
def test_canonical_refusals(api_client, code, lang, idx):
    license = _refused(code)
    response = api_client.post(
        CANONICAL, {"key": license.key}, format="json", HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["code"] == code
    assert response.json()["message"] == MESSAGES[code][idx]


@pytest.mark.parametrize(("lang", "idx"), LANGS)
def test_canonical_not_found_and_product_mismatch(api_client, lang, idx):
    response = api_client.post(
        CANONICAL,
        {"key": "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    assert response.json() == {
        "valid": False,
        "code": "NOT_FOUND",
        "message": MESSAGES["NOT_FOUND"][idx],
        "license": None,
    }
    license = LicenseFactory()
    response = api_client.post(
        CANONICAL,
        {"key": license.key, "product": "other"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    assert response.json()["code"] == "PRODUCT_MISMATCH"
    assert response.json()["message"] == MESSAGES["PRODUCT_MISMATCH"][idx]


@pytest.mark.parametrize(("lang", "idx"), LANGS)
def test_cybersensei_success_body_is_exactly_the_seed(api_client, lang, idx):
    license = LicenseFactory(max_validations=1000)
    response = api_client.get(CYBERSENSEI, {"key": license.key}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "valid",
        "tenantId",
        "tenantName",
        "expiresAt",
        "usageCount",
        "maxUsageCount",
    }
    assert body["valid"] is True
    assert body["tenantId"] == str(license.tenant_id)
    assert body["tenantName"] == license.tenant.name
    assert body["usageCount"] == 1 and body["maxUsageCount"] == 1000
    assert body["expiresAt"].startswith(license.expires_at.strftime("%Y-%m-%dT%H:%M:%S"))


@pytest.mark.parametrize(("lang", "idx"), LANGS)
@pytest.mark.parametrize(
    "code", ["EXPIRED", "SUSPENDED", "REVOKED", "TENANT_INACTIVE", "USAGE_LIMIT_EXCEEDED"]
)
def test_cybersensei_refusals_are_400(api_client, code, lang, idx):
    license = _refused(code)
    response = api_client.get(CYBERSENSEI, {"key": license.key}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "message": MESSAGES[code][idx], "code": code}


def test_cybersensei_seed_messages_in_french(api_client):
    """The seed's three documented errors, word for word."""
    expired = _refused("EXPIRED")
    inactive = _refused("TENANT_INACTIVE")
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    assert api_client.get(CYBERSENSEI, {"key": expired.key}, **fr).json()["message"] == (
        "Licence expirée"
    )
    assert api_client.get(CYBERSENSEI, {"key": inactive.key}, **fr).json()["message"] == (
        "Tenant inactif"
    )
    response = api_client.get(CYBERSENSEI, {"key": "A1B2C3D4-E5F6G7H8-I9J0K1L2-M3N4O5P6"}, **fr)
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
    assert response.json()["message"] == "Clé de licence invalide"


@override_settings(LANGUAGE_CODE="fr")
def test_default_language_setting_applies_without_accept_language(api_client):
    response = api_client.get(CYBERSENSEI, {"key": _refused("EXPIRED").key})
    assert response.json()["message"] == "Licence expirée"


# --- Bad input -------------------------------------------------------------------------


def test_missing_key(api_client):
    response = api_client.post(CANONICAL, {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR" and "key" in response.json()["errors"]
    response = api_client.get(CYBERSENSEI)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400 and response.json()["code"] == "VALIDATION_ERROR"


def test_unknown_parameters_are_refused(api_client):
    license = LicenseFactory()
    response = api_client.post(CANONICAL, {"key": license.key, "kye": 1}, format="json")
    assert response.status_code == 400 and "kye" in response.json()["errors"]
    response = api_client.get(CYBERSENSEI, {"key": license.key, "foo": "bar"})
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
    license.refresh_from_db()
    assert license.validation_count == 0


def test_non_json_body(api_client):
    response = api_client.generic("POST", CANONICAL, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "PARSE_ERROR"
    response = api_client.generic("POST", CANONICAL, "key=x", content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_json_array_body(api_client):
    response = api_client.post(CANONICAL, ["x"], format="json")
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


def test_wrong_methods(api_client):
    response = api_client.get(CANONICAL)
    assert response.status_code == 405 and response.json()["code"] == "METHOD_NOT_ALLOWED"
    response = api_client.post(CYBERSENSEI, {})
    assert response.status_code == 405 and response.json()["statusCode"] == 405


def test_unknown_api_path_is_json(api_client):
    response = api_client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


def test_oversized_key_is_a_validation_error(api_client):
    response = api_client.post(CANONICAL, {"key": "A" * 5000}, format="json")
    assert response.status_code == 400


@override_settings(RELAIS_DIALECT_CYBERSENSEI=False)
def test_dialect_can_be_turned_off(api_client):
    license = LicenseFactory()
    response = api_client.get(CYBERSENSEI, {"key": license.key})
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["json", "multipart", "form"])
def test_a_blank_product_is_refused_in_every_body(api_client, fmt):
    # The schema says minLength 1; a form's empty field used to be read as no product.
    license = LicenseFactory()
    url = "/api/v1/licenses/validate"
    if fmt == "form":
        body = f"key={license.key}&product="
        response = api_client.post(url, body, content_type="application/x-www-form-urlencoded")
    else:
        response = api_client.post(url, {"key": license.key, "product": ""}, format=fmt)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"product"}
    response = api_client.post(url, {"key": license.key}, format=fmt if fmt != "form" else None)
    assert response.status_code == 200 and response.json()["valid"] is True
