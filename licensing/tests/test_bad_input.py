"""Bad input of any shape gets JSON with a `code`: never a 500, never an HTML page."""

import importlib.util
from pathlib import Path

import pytest
from django.test import override_settings

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_json_nested_too_deeply_is_a_parse_error(api_client):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.generic(
        "POST", "/api/v1/licenses/validate", body, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "PARSE_ERROR"


@pytest.mark.parametrize("value", [10**20, 2**31, -1])
def test_out_of_range_integers_are_validation_errors(api_client, value):
    device = DeviceFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    response = api_client.post(
        "/api/v1/updates/status",
        {
            "sessionId": "00000000-0000-4000-8000-000000000000",
            "status": "FAILED",
            "duration": value,
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


def test_an_html_accept_header_still_gets_json(api_client):
    response = api_client.post(
        "/api/v1/licenses/validate", {}, format="json", HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/api/v1/nothing", "/update/nothing", "/telemetry-nope"])
def test_unknown_paths_are_json_even_in_debug(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_admin_keeps_its_html_pages(client):
    response = client.get("/admin/no-such-page/")
    assert response.status_code in (302, 404)
    assert not response.get("Content-Type", "").startswith("application/json")


def test_gunicorn_access_log_leaves_query_strings_out():
    """`GET /api/license/validate?key=…` must not write license keys to the access log."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "docker/gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert "%(U)s" in conf.access_log_format
    for leaky in ("%(r)s", "%(q)s", "%({", "%(a)s"):
        assert leaky not in conf.access_log_format


def test_tenants_are_deactivated_not_deleted(platform_client):
    from licensing.tests.factories import LicenseFactory

    license = LicenseFactory()
    url = f"/api/v1/manage/tenants/{license.tenant_id}/"
    response = platform_client.delete(url)
    assert response.status_code == 405 and response.json()["code"] == "METHOD_NOT_ALLOWED"
    response = platform_client.post(f"{url}deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_a_protected_delete_is_a_409_not_a_500():
    from django.db.models import ProtectedError

    from core.exceptions import api_exception_handler

    response = api_exception_handler(ProtectedError("in use", set()), {})
    assert response.status_code == 409 and response.data["code"] == "PROTECTED"


@pytest.mark.django_db
def test_json_values_of_the_wrong_type_are_refused_not_coerced(api_client, platform_client):
    # Found by schemathesis: DRF took 0 for "0" and 1 for True.
    response = api_client.post(
        "/api/v1/licenses/validate", {"key": "A" * 8, "product": 0}, format="json"
    )
    assert response.status_code == 400 and "product" in response.json()["errors"]
    response = platform_client.post("/api/v1/manage/products/", {"slug": "p", "name": 0})
    assert response.status_code == 201  # a form's values are text: DRF's rules stay
    response = platform_client.post(
        "/api/v1/manage/products/", {"slug": "q", "name": 0}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()["errors"]
    response = platform_client.post(
        "/api/v1/manage/products/",
        {"slug": "r", "name": "R", "allowed_commands": [0]},
        format="json",
    )
    assert response.status_code == 400 and "allowed_commands" in response.json()["errors"]
    license = LicenseFactory()
    response = api_client.post(
        "/api/v1/updates/register-device",
        {"hardwareId": "hw", "rotateToken": 1},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {license.key}",
    )
    assert response.status_code == 400 and "rotateToken" in response.json()["errors"]


@pytest.mark.django_db
def test_boolean_filters_refuse_what_is_not_a_boolean(platform_client):
    # Found by schemathesis: `?is_active=-58800` listed every tenant, unfiltered.
    response = platform_client.get("/api/v1/manage/tenants/", {"is_active": "-58800"})
    assert response.status_code == 400 and "is_active" in response.json()["errors"]
    assert platform_client.get("/api/v1/manage/tenants/", {"is_active": "false"}).status_code == 200
    assert platform_client.get("/api/v1/manage/tenants/?is_active=").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_body_over_the_upload_limit_is_a_413(api_client, settings, fmt):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api_client.post("/api/v1/licenses/validate", {"key": "A" * 20_000}, format=fmt)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
