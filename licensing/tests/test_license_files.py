"""GET /api/v1/license, GET /api/v1/license/file and the admin's download: offline license
files verified as a node without network would (clients/relais_verify.py)."""

import base64
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clients.relais_verify import BACKENDS, VerificationError, load_keys, verify_license_file
from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.models import License
from licensing.tests.factories import LicenseFactory, PolicyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def device():
    policy = PolicyFactory(entitlements=["reports", "export"])
    return DeviceFactory(license=LicenseFactory(policy=policy))


@pytest.fixture
def keys(api_client):
    return load_keys(api_client.get("/api/v1/keys").json())


def _as(client, device):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client


def _file(client, device) -> str:
    response = _as(client, device).get("/api/v1/license/file")
    assert response.status_code == 200, response.json()
    return response.json()["licenseFile"]


def _moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_device_reads_its_license(api_client, device):
    body = _as(api_client, device).get("/api/v1/license").json()
    license = device.license
    assert body["valid"] is True and body["code"] == "VALID"
    assert body["license"]["id"] == str(license.pk)
    assert body["license"]["entitlements"] == ["reports", "export"]
    assert body["license"]["expiresAt"].startswith(license.expires_at.date().isoformat())
    assert "updatesUntil" in body["license"]
    assert body["device"] == {"id": str(device.pk), "hardwareId": device.hardware_id}
    assert body["offlineValidity"] == 30 * 24 * 3600


def test_the_license_key_alone_reads_the_license_too(api_client, device):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    body = api_client.get("/api/v1/license").json()
    assert body["code"] == "VALID" and body["device"] is None
    body = api_client.get("/api/v1/license", {"hardwareId": device.hardware_id}).json()
    assert body["device"]["hardwareId"] == device.hardware_id


@pytest.mark.parametrize("backend", ["nacl", "cryptography"])
def test_a_license_file_verifies_offline_with_the_public_key_alone(
    api_client, device, keys, backend
):
    text = _file(api_client, device)
    assert text.startswith("-----BEGIN LICENSE FILE-----\n")
    assert text.endswith("-----END LICENSE FILE-----\n")
    data = verify_license_file(
        text, keys, product=device.product.slug, hardware_id=device.hardware_id,
        backend=BACKENDS[backend],
    )  # fmt: skip
    assert data["licenseId"] == str(device.license_id)
    assert data["device"] == {"id": str(device.pk), "hardwareId": device.hardware_id}
    assert data["entitlements"] == ["reports", "export"]
    # The policy's 30 days, the license's 30 days: whichever ends first.
    valid_until = _moment(data["validUntil"])
    assert abs(valid_until - device.license.expires_at) < timedelta(seconds=2)


def test_the_policy_sets_how_long_a_file_is_valid(api_client, device):
    policy = device.license.policy
    policy.offline_validity = timedelta(days=2)
    policy.save()
    body = _as(api_client, device).get("/api/v1/license/file").json()
    left = _moment(body["validUntil"]) - timezone.now()
    assert timedelta(days=2) - timedelta(minutes=1) < left <= timedelta(days=2)


def test_license_key_and_hardware_id_get_the_devices_file(api_client, device, keys):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    response = api_client.get("/api/v1/license/file", {"hardwareId": device.hardware_id})
    data = verify_license_file(
        response.json()["licenseFile"],
        keys,
        product=device.product.slug,
        hardware_id=device.hardware_id,
    )
    assert data["device"]["id"] == str(device.pk)
    # Without the device there is nothing to bind the file to.
    response = api_client.get("/api/v1/license/file")
    assert response.status_code == 403 and response.json()["code"] == "DEVICE_NOT_ACTIVATED"


def test_the_verifier_refuses_another_product_device_time_key_or_byte(api_client, device, keys):
    text = _file(api_client, device)
    slug, hw = device.product.slug, device.hardware_id
    valid_until = _moment(
        verify_license_file(text, keys, product=slug, hardware_id=hw)["validUntil"]
    )
    envelope = json.loads(base64.b64decode("".join(text.strip().splitlines()[1:-1])))
    data = base64.b64decode(envelope["data"])

    def armor(envelope):
        body = base64.b64encode(json.dumps(envelope).encode()).decode()
        return f"-----BEGIN LICENSE FILE-----\n{body}\n-----END LICENSE FILE-----\n"

    tampered = data.replace(b'"maxDevices":5', b'"maxDevices":9')
    assert tampered != data
    expired_key = [
        jwk | {"notAfter": "2020-01-01T00:00:00Z"}
        for jwk in api_client.get("/api/v1/keys").json()["keys"]
    ]
    cases = [
        ("PRODUCT_MISMATCH", text, keys, {"product": "other-product"}),
        ("DEVICE_MISMATCH", text, keys, {"hardware_id": "hw-someone-else"}),
        ("LICENSE_FILE_EXPIRED", text, keys, {"now": valid_until}),
        ("UNKNOWN_KID", armor(envelope | {"kid": "0123456789abcdef"}), keys, {}),
        ("KEY_EXPIRED", text, load_keys(expired_key), {}),
        (
            "BAD_SIGNATURE",
            armor(envelope | {"data": base64.b64encode(tampered).decode()}),
            keys,
            {},
        ),
        ("MALFORMED", text.replace("BEGIN LICENSE", "BEGIN CERTIFICATE"), keys, {}),
    ]
    for code, candidate, trusted, overrides in cases:
        kwargs = {"product": slug, "hardware_id": hw} | overrides
        with pytest.raises(VerificationError) as refused:
            verify_license_file(candidate, trusted, **kwargs)
        assert refused.value.code == code, code
    # Still fine one second before its end.
    verify_license_file(
        text, keys, product=slug, hardware_id=hw, now=valid_until - timedelta(seconds=1)
    )


def test_a_license_that_does_not_validate_gets_no_file(api_client, device):
    License.objects.filter(pk=device.license_id).update(status=License.Status.SUSPENDED)
    response = _as(api_client, device).get("/api/v1/license/file")
    assert response.status_code == 403 and response.json()["code"] == "SUSPENDED"


def test_no_file_when_signing_is_off(api_client, device, settings):
    settings.RELAIS_SIGNING = False
    response = _as(api_client, device).get("/api/v1/license/file")
    assert response.status_code == 503 and response.json()["code"] == "SIGNING_DISABLED"
    response = api_client.get("/api/v1/license/file", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["message"] == "La signature est désactivée sur ce serveur."


def test_unknown_query_parameters_are_refused(api_client, device):
    response = _as(api_client, device).get("/api/v1/license", {"colour": "blue"})
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


def test_offline_validity_through_the_management_api(platform_client, device):
    policy = device.license.policy
    url = f"/api/v1/manage/policies/{policy.pk}/"
    response = platform_client.patch(url, {"offline_validity": "7 00:00:00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["offline_validity"] == "7 00:00:00"
    response = platform_client.patch(url, {"offline_validity": "00:00:00"}, format="json")
    assert response.status_code == 400


# --- Admin -------------------------------------------------------------------------------


def _admin_url(license):
    return f"/admin/licensing/license/{license.pk}/license-file/"


def test_the_admin_downloads_a_file_for_a_chosen_device_or_the_license(
    client, device, keys, platform_admin
):
    client.force_login(platform_admin)
    change = client.get(f"/admin/licensing/license/{device.license_id}/change/")
    assert _admin_url(device.license).encode() in change.content
    page = client.get(_admin_url(device.license))
    assert page.status_code == 200 and device.hardware_id.encode() in page.content

    response = client.get(_admin_url(device.license), {"device": device.pk})
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    slug = device.product.slug
    assert verify_license_file(text, keys, product=slug, hardware_id=device.hardware_id)

    unbound = client.get(_admin_url(device.license), {"device": ""}).content.decode()
    with pytest.raises(VerificationError):
        verify_license_file(unbound, keys, product=slug, hardware_id=device.hardware_id)
    data = verify_license_file(unbound, keys, product=slug, hardware_id=None, allow_unbound=True)
    assert data["device"] is None


def test_the_admin_refuses_another_licenses_device_and_a_suspended_license(
    client, device, platform_admin
):
    client.force_login(platform_admin)
    stranger = DeviceFactory()
    response = client.get(_admin_url(device.license), {"device": stranger.pk})
    assert response.status_code == 302 and response["Location"] == _admin_url(device.license)
    Device.objects.filter(pk=device.pk).update(status=Device.Status.DEACTIVATED)
    response = client.get(_admin_url(device.license), {"device": device.pk})
    assert response.status_code == 302
    License.objects.filter(pk=device.license_id).update(status=License.Status.SUSPENDED)
    response = client.get(_admin_url(device.license), {"device": ""}, follow=True)
    assert b"SUSPENDED" in response.content


def test_tenant_staff_download_only_their_tenants_files(client, device):
    own = UserFactory(tenant=device.tenant)
    client.force_login(own)
    assert client.get(_admin_url(device.license), {"device": device.pk}).status_code == 200
    other = LicenseFactory()
    assert client.get(_admin_url(other), {"device": ""}).status_code == 404


def test_a_repeated_query_parameter_is_refused(api_client, device):
    url = f"/api/v1/license/file?hardwareId={device.hardware_id}&hardwareId=other"
    response = _as(api_client, device).get(url)
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
