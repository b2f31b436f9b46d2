import pytest
from django.test import override_settings

from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.models import License
from licensing.tests.factories import LicenseFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/updates/register-device"
SEED_BODY = {
    "hardwareId": "unique-hardware-id",
    "machineName": "PC-User-01",
    "osVersion": "Windows 10 22H2",
    "appVersion": "1.0.0",
}


def _bearer(client, secret):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_register_with_the_seed_body(api_client, license):
    response = _bearer(api_client, license.key).post(REGISTER, SEED_BODY, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["deviceToken"].startswith("dvt_") and body["registered"] is True
    assert body["tenantId"] == str(license.tenant_id)
    device = Device.objects.get(pk=body["deviceId"])
    assert (device.hardware_id, device.name, device.os_version, device.app_version) == (
        "unique-hardware-id",
        "PC-User-01",
        "Windows 10 22H2",
        "1.0.0",
    )
    again = api_client.post(REGISTER, SEED_BODY, format="json")
    assert again.status_code == 200
    assert again.json()["deviceId"] == body["deviceId"] and again.json()["deviceToken"] is None


def test_register_refusals_are_json_with_codes(api_client, license):
    response = api_client.post(REGISTER, SEED_BODY, format="json")
    assert response.status_code == 401 and response.json()["code"] == "NOT_FOUND"
    response = _bearer(api_client, "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA").post(
        REGISTER, SEED_BODY, format="json"
    )
    assert response.status_code == 401 and response.json()["code"] == "NOT_FOUND"
    _bearer(api_client, license.key)
    response = api_client.post(REGISTER, {"machineName": "x"}, format="json")
    assert response.status_code == 400 and "hardwareId" in response.json()["errors"]
    response = api_client.post(REGISTER, {**SEED_BODY, "platform": "toaster"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "UNKNOWN_PLATFORM"
    response = api_client.post(REGISTER, {**SEED_BODY, "colour": "red"}, format="json")
    assert response.status_code == 400 and "colour" in response.json()["errors"]


@pytest.mark.parametrize("lang,text", [("en", "Too many devices"), ("fr", "Nombre maximal")])
def test_too_many_devices_in_both_languages(api_client, lang, text):
    license = LicenseFactory(max_devices=1)
    _bearer(api_client, license.key).post(REGISTER, SEED_BODY, format="json")
    response = api_client.post(
        REGISTER, {**SEED_BODY, "hardwareId": "another"}, format="json", HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 403
    assert response.json()["code"] == "TOO_MANY_DEVICES" and text in response.json()["message"]


def test_ping_with_a_device_token_and_with_key_plus_hardware_id(api_client):
    device = DeviceFactory()
    response = _bearer(api_client, device.token).get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["deviceId"] == str(device.pk)
    response = _bearer(api_client, device.license.key).get(
        "/api/v1/ping", {"hardwareId": device.hardware_id}
    )
    assert response.json()["deviceId"] == str(device.pk)


def test_ping_costs_one_query(api_client, django_assert_num_queries):
    device = DeviceFactory()
    _bearer(api_client, device.token)
    with django_assert_num_queries(1):
        assert api_client.get("/api/v1/ping").status_code == 200


@pytest.mark.parametrize(
    ("secret", "code", "status"),
    [
        ("dvt_not-a-real-token", "DEVICE_NOT_ACTIVATED", 403),
        (None, "NOT_AUTHENTICATED", 401),
    ],
)
def test_node_authentication_failures(api_client, secret, code, status):
    if secret:
        _bearer(api_client, secret)
    response = api_client.get("/api/v1/updates/check", {"version": "1.0.0"})
    assert response.status_code == status and response.json()["code"] == code


def test_unknown_hardware_with_a_valid_key_is_not_activated(api_client):
    device = DeviceFactory()
    response = _bearer(api_client, device.license.key).get(
        "/api/v1/updates/check", {"hardwareId": "never-registered", "version": "1.0.0"}
    )
    assert response.status_code == 403 and response.json()["code"] == "DEVICE_NOT_ACTIVATED"


def test_a_suspended_license_locks_its_devices_out(api_client):
    device = DeviceFactory(license__status=License.Status.SUSPENDED)
    response = _bearer(api_client, device.token).get("/api/v1/ping")
    assert response.status_code == 403 and response.json()["code"] == "SUSPENDED"


def test_a_deactivated_device_token_stops_working(api_client):
    from devices.services.devices import device_deactivate

    device = DeviceFactory()
    device_deactivate(device=device)
    response = _bearer(api_client, device.token).get("/api/v1/ping")
    assert response.status_code == 403 and response.json()["code"] == "DEVICE_NOT_ACTIVATED"


@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "100/min", "node": "2/min"})
def test_node_api_is_throttled(api_client):
    device = DeviceFactory()
    _bearer(api_client, device.token)
    statuses = [api_client.get("/api/v1/ping").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
