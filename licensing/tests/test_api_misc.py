import pytest

from licensing.services import api_token_create, api_token_revoke
from licensing.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_openapi_schema_and_docs(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/licenses/validate" in paths
    assert "/api/license/validate" in paths
    assert "/api/v1/manage/licenses/" in paths
    assert api_client.get("/api/docs/").status_code == 200


def test_health_reports_each_dependency(api_client):
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "storage": "ok"}
    # Outside the ASGI server (here: Django's test client) no Socket.IO is served.
    assert body["socketio"]["serving"] is False and body["socketio"]["connections"] == 0


def test_api_token_authenticates_the_management_api(api_client):
    user = UserFactory(is_superuser=True)
    issued = api_token_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    assert api_client.get("/api/v1/manage/tenants/").status_code == 200
    api_token_revoke(api_token=issued.api_token)
    response = api_client.get("/api/v1/manage/tenants/")
    assert response.status_code == 401 and response.json()["code"] == "AUTHENTICATION_FAILED"


def test_issue_license_through_the_api_shows_the_key_once(platform_client, tenant):
    from licensing.tests.factories import PolicyFactory

    policy = PolicyFactory()
    response = platform_client.post(
        "/api/v1/manage/licenses/",
        {"tenant": str(tenant.pk), "policy": policy.pk, "name": "CI"},
        format="json",
    )
    assert response.status_code == 201
    key = response.json()["key"]
    detail = platform_client.get(f"/api/v1/manage/licenses/{response.json()['id']}/").json()
    assert "key" not in detail and detail["key_prefix"] == key[:8]
    response = platform_client.post(f"/api/v1/manage/licenses/{detail['id']}/suspend/")
    assert response.json()["status"] == "suspended"
    response = platform_client.post(f"/api/v1/manage/licenses/{detail['id']}/revoke/")
    response = platform_client.post(f"/api/v1/manage/licenses/{detail['id']}/reinstate/")
    assert response.status_code == 409 and response.json()["code"] == "INVALID_TRANSITION"


def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "apiToken" in text and "deviceToken" in text and "licenseKey" in text
