"""Control characters and lone surrogates in any input are a 400 with a `code`, refused
before the database sees them (PostgreSQL refuses NUL in text: a 500 otherwise)."""

import json

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory, UserFactory
from releases.tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db
UNKNOWN_KEY = "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"


def _refused(response, code="INVALID_CHARACTERS"):
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code
    return True


@pytest.mark.parametrize("key", [UNKNOWN_KEY, "known"])
@pytest.mark.parametrize("value", ["a\x00b", "a\x01b", "\x7f", "a\x85"])
def test_hardware_id_in_the_query_of_a_check(api_client, key, value):
    if key == "known":
        key = LicenseFactory().key
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = api_client.get(
        "/api/v1/updates/check", {"hardwareId": value, "version": "1.0.0", "osVersion": "x"}
    )
    assert _refused(response)


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "\ud800"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_hardware_id_in_the_body_of_a_status_report(api_client, value, content_type):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {UNKNOWN_KEY}")
    fields = {
        "sessionId": "00000000-0000-4000-8000-000000000000",
        "status": "FAILED",
        "hardwareId": value,
    }
    if content_type == "application/json":
        body = json.dumps(fields)  # ensure_ascii: a lone surrogate travels as \ud800
    else:
        if value == "\ud800":
            pytest.skip("a form body is bytes: a surrogate cannot be sent")
        from urllib.parse import urlencode

        body = urlencode(fields)
    response = api_client.generic("POST", "/api/v1/updates/status", body, content_type)
    assert _refused(response)


def test_a_device_token_does_not_let_control_characters_through(api_client):
    device = DeviceFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    response = api_client.get("/api/v1/updates/check", {"version": "1.0.0\x01"})
    assert _refused(response)


def test_json_keys_and_nested_values_are_checked(platform_client):
    product = ProductFactory()
    response = platform_client.patch(
        f"/api/v1/manage/products/{product.pk}/",
        {"allowed_commands": ["reboot", {"deep": ["x\x00"]}]},
        format="json",
    )
    assert _refused(response)
    response = platform_client.patch(
        f"/api/v1/manage/products/{product.pk}/", {"name\x00": "x"}, format="json"
    )
    assert _refused(response)


def test_single_line_fields_refuse_line_breaks(api_client):
    license = LicenseFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {license.key}")
    response = api_client.post(
        "/api/v1/updates/register-device",
        {"hardwareId": "hw-1", "machineName": "PC\n01"},
        format="json",
    )
    assert _refused(response, "VALIDATION_ERROR")
    assert "machineName" in response.json()["errors"]


def test_free_text_keeps_its_line_breaks_and_refuses_the_rest(platform_client):
    release = ReleaseFactory()
    url = f"/api/v1/manage/releases/{release.pk}/"
    response = platform_client.patch(url, {"notes": "- one\r\n- two\tok"}, format="json")
    assert response.status_code == 200
    assert response.json()["notes"] == "- one\r\n- two\tok"
    assert _refused(platform_client.patch(url, {"notes": "bell\x07"}, format="json"))


@pytest.mark.parametrize(
    "url",
    [
        "/api/license/validate?key=%00",
        "/update/check?tenantId=%01&version=1",
        "/api/updates/latest?product=a%00",
        "/api/v1/manage/devices/?hardware_id=%00",
        "/api/v1/manage/devices/?%00=1",
        "/update/download/abc%00def",
    ],
)
def test_any_query_or_path(platform_client, url):
    assert _refused(platform_client.get(url))


def test_admin_filters_and_search(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert _refused(client.get("/admin/devices/device/?q=%00"))
    assert _refused(client.get("/admin/licensing/license/?status=%00"))


@pytest.mark.parametrize(
    ("field", "value"),
    [("allowed_commands", '["reboot\\u0000"]'), ("allowed_commands", '{"a\\u0001": 1}')],
)
def test_admin_forms_refuse_control_characters(client, field, value):
    product = ProductFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = f"/admin/licensing/product/{product.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data["allowed_commands"] = '["reboot"]'
    data[field] = value
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert field in response.context["adminform"].form.errors
    product.refresh_from_db()
    assert "\x00" not in str(product.allowed_commands)


def test_admin_forms_refuse_control_characters_in_a_name(client):
    product = ProductFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = f"/admin/licensing/product/{product.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(allowed_commands='["reboot"]', name="x\x01y")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors


def test_list_items_are_single_line_too(platform_client):
    product = ProductFactory()
    response = platform_client.patch(
        f"/api/v1/manage/products/{product.pk}/", {"allowed_commands": ["re\nboot"]}, format="json"
    )
    assert _refused(response, "VALIDATION_ERROR")
    assert "allowed_commands" in response.json()["errors"]
