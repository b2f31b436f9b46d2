"""`/api/v1/sync/documents/<name>` and the seed's `/api/settings|team|services|solutions`."""

import json

import pytest
from rest_framework.test import APIClient

from core.models import Event
from documents.models import SyncDocument, SyncDocumentRevision
from documents.services import document_write
from licensing.services import api_token_create
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/sync/documents"


@pytest.fixture
def staff(tenant):
    """Tenant staff (the tenant staff group: read and write their documents)."""
    return UserFactory(tenant=tenant)


@pytest.fixture
def api(staff):
    """Tenant staff's API token, as a backoffice or CI would send it."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=staff).token}")
    return client


def _put(client, url, body, **headers):
    return client.put(url, json.dumps(body), content_type="application/json", **headers)


def _updates():
    return Event.objects.filter(type="document.updated")


def test_put_then_get_with_etag_and_304(api, tenant, staff):
    response = _put(api, f"{URL}/settings", {"data": {"companyName": "TRU", "createdAt": "2024"}})
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body["version"] == 1 and body["name"] == "settings"
    assert body["preserveFields"] == ["createdAt", "updatedBy"]
    response = api.get(f"{URL}/settings")
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert response.json()["data"] == {"companyName": "TRU", "createdAt": "2024"}
    response = api.get(f"{URL}/settings", HTTP_IF_NONE_MATCH='"1"')
    assert response.status_code == 304 and response["ETag"] == '"1"' and not response.content
    assert api.get(f"{URL}/settings", HTTP_IF_NONE_MATCH='W/"0", "1"').status_code == 304
    assert api.get(f"{URL}/settings", HTTP_IF_NONE_MATCH='"0"').status_code == 200
    event = _updates().get()
    assert event.actor == staff and event.tenant == tenant


def test_a_write_merges_and_a_no_op_changes_nothing(api):
    team = [{"id": 1, "name": "Alice", "joinDate": "2020-01-01"}]
    _put(api, f"{URL}/team", {"data": team})
    response = _put(api, f"{URL}/team", {"data": [{"id": 1, "name": "Alice", "joinDate": "X"}]})
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert response.json()["data"] == team
    response = _put(api, f"{URL}/team", {"data": [{"id": 1, "name": "Alicia"}, {"name": "Bob"}]})
    assert response["ETag"] == '"2"'
    assert response.json()["data"] == [
        {"id": 1, "name": "Alicia", "joinDate": "2020-01-01"},
        {"id": 2, "name": "Bob"},
    ]
    assert _updates().count() == 2 and _updates().first().payload["changed"] == ["1", "2"]


def test_if_match_stale_is_412_with_the_current_document(api):
    _put(api, f"{URL}/settings", {"data": {"a": 1}})
    assert _put(api, f"{URL}/settings", {"data": {"a": 2}}, HTTP_IF_MATCH='"1"').status_code == 200
    response = _put(api, f"{URL}/settings", {"data": {"a": 3}}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412 and response["ETag"] == '"2"'
    body = response.json()
    assert body["code"] == "PRECONDITION_FAILED" and body["currentVersion"] == 2
    assert body["document"]["data"] == {"a": 2} and body["document"]["version"] == 2
    for stale in ('W/"2"', '"abc"'):  # weak and foreign tags match no version
        assert _put(api, f"{URL}/settings", {"data": {}}, HTTP_IF_MATCH=stale).status_code == 412
    # Create-only and must-exist.
    response = _put(api, f"{URL}/fresh", {"data": {}}, HTTP_IF_MATCH="*")
    assert response.status_code == 412 and response.json()["document"] is None
    assert _put(api, f"{URL}/fresh", {"data": {}}, HTTP_IF_MATCH='"0"').status_code == 201
    assert SyncDocument.objects.get(name="settings").data == {"a": 2}


@pytest.mark.parametrize("header", ["3", '"3', "abc", '"1" "2"'])
def test_a_malformed_precondition_is_a_400(api, header):
    _put(api, f"{URL}/settings", {"data": {"a": 1}})
    response = _put(api, f"{URL}/settings", {"data": {"a": 2}}, HTTP_IF_MATCH=header)
    assert response.status_code == 400 and response.json()["code"] == "INVALID_PRECONDITION"
    response = api.get(f"{URL}/settings", HTTP_IF_NONE_MATCH=header)
    assert response.status_code == 400
    assert SyncDocument.objects.get().version == 1


def test_unknown_and_invalid_names(api):
    response = api.get(f"{URL}/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "DOCUMENT_NOT_FOUND"
    response = _put(api, f"{URL}/Not%20Valid", {"data": {}})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_DOCUMENT_NAME"
    response = _put(api, f"{URL}/{'x' * 65}", {"data": {}})
    assert response.json()["code"] == "INVALID_DOCUMENT_NAME"


@pytest.mark.parametrize(
    ("url", "body", "code"),
    [
        ("settings", [1, 2], "NOT_AN_OBJECT"),
        ("settings", "text", "NOT_AN_OBJECT"),
        ("settings", {"data": "text"}, "NOT_AN_OBJECT"),
        ("settings", {"data": None}, "VALIDATION_ERROR"),
        ("settings", {"data": [{"id": 1}]}, "DOCUMENT_SHAPE"),
        ("settings", {}, "VALIDATION_ERROR"),
        ("settings", {"data": {}, "preserveFields": []}, "VALIDATION_ERROR"),
        ("team", {"data": [{"id": 1}, {"id": 1}]}, "DUPLICATE_ID"),
        ("team", {"data": [{"id": 1}, 5]}, "NOT_AN_OBJECT"),
    ],
)
def test_bad_bodies_are_refused_with_a_code_and_write_nothing(api, url, body, code):
    response = _put(api, f"{URL}/{url}", body)
    assert response.status_code == 400 and response.json()["code"] == code, response.json()
    assert not SyncDocument.objects.exists() and not _updates().exists()


def test_invalid_json_and_other_media_types(api):
    response = api.put(f"{URL}/settings", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "PARSE_ERROR"
    response = api.put(
        f"{URL}/settings", "data=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert not SyncDocument.objects.exists()


def test_documents_over_the_size_limit_are_413(api, settings):
    settings.RELAIS_DOCUMENT_MAX_BYTES = 1000
    _put(api, f"{URL}/settings", {"data": {"a": 1}})
    response = _put(api, f"{URL}/settings", {"data": {"a": "x" * 1500}})
    assert response.status_code == 413 and response.json()["code"] == "DOCUMENT_TOO_LARGE"
    # A body beyond the one body limit (RELAIS_MAX_BODY_BYTES) is refused before it is parsed.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3000
    response = api.put(f"{URL}/settings", "[" * 5000, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert SyncDocument.objects.get().data == {"a": 1} and _updates().count() == 1


def test_tenant_staff_reach_only_their_tenants_documents(api, tenant):
    other = TenantFactory()
    document_write(tenant=other, name="settings", data={"secret": "theirs"})
    response = api.get(f"{URL}/settings")
    assert response.status_code == 404  # theirs is not ours
    for query in (f"?tenant={other.pk}", "?tenant=not-a-uuid"):
        response = api.get(f"{URL}/settings{query}")
        assert response.status_code == 404 and response.json()["code"] == "TENANT_NOT_FOUND"
        response = _put(api, f"{URL}/settings{query}", {"data": {"secret": "mine"}})
        assert response.status_code == 404
    assert _put(api, f"{URL}/settings?tenant={tenant.pk}", {"data": {"x": 1}}).status_code == 201
    assert SyncDocument.objects.get(tenant=other).data == {"secret": "theirs"}


def test_platform_staff_name_the_tenant(platform_client, tenant):
    response = platform_client.get(f"{URL}/settings")
    assert response.status_code == 400 and response.json()["code"] == "TENANT_REQUIRED"
    response = _put(platform_client, f"{URL}/settings?tenant={tenant.pk}", {"data": {"a": 1}})
    assert response.status_code == 201
    assert SyncDocument.objects.get().tenant == tenant


def test_credentials_and_permissions_are_required(tenant):
    document_write(tenant=tenant, name="settings", data={"a": 1})
    anonymous = APIClient()
    response = anonymous.get(f"{URL}/settings")
    assert response.status_code in (401, 403) and "code" in response.json()
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer rlt_invented")
    assert bad.get(f"{URL}/settings").status_code == 401
    # A user without the document permissions reads and writes nothing.
    nobody = APIClient()
    nobody.force_authenticate(UserFactory())
    response = nobody.get(f"{URL}/settings?tenant={tenant.pk}")
    assert response.status_code == 403
    response = _put(nobody, f"{URL}/settings?tenant={tenant.pk}", {"data": {"a": 2}})
    assert response.status_code == 403
    assert SyncDocument.objects.get().data == {"a": 1}


def test_session_writes_need_csrf(staff):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get(f"{URL}/settings").status_code == 404
    response = _put(client, f"{URL}/settings", {"data": {"a": 1}})
    assert response.status_code == 403 and not SyncDocument.objects.exists()


# --- Seed 004's own routes --------------------------------------------------------------


def test_the_seed_routes_speak_the_seeds_bodies(api, tenant):
    response = api.get("/api/settings")
    assert response.status_code == 200 and response.json() == {} and response["ETag"] == '"0"'
    assert api.get("/api/team").json() == []
    settings_body = {"companyName": "TRU Group", "email": "contact@tru.com", "createdAt": "2024"}
    response = _put(api, "/api/settings", settings_body)
    assert response.status_code == 201 and response.json() == settings_body
    response = _put(api, "/api/settings", {**settings_body, "createdAt": "2026", "phone": "+33"})
    assert response.json() == {**settings_body, "phone": "+33"} and response["ETag"] == '"2"'
    team = [
        {"id": 1, "name": "Alice", "email": "alice@tru.com", "role": "Manager", "joinDate": "2020"},
        {"id": 2, "name": "Bob", "email": "bob@tru.com", "role": "Developer", "joinDate": "2021"},
    ]
    _put(api, "/api/team", team)
    response = _put(api, "/api/team", [{**m, "joinDate": "changed"} for m in team])
    assert response.json() == team and response["ETag"] == '"1"'  # nothing changed
    services = [{"id": "s1", "name": "Audit", "views": 120, "rating": 4.5}]
    _put(api, "/api/services", services)
    response = _put(api, "/api/services", [{"id": "s1", "name": "Audit"}, {"name": "Nouveau"}])
    assert response.json()[0] == services[0] and response.json()[1]["name"] == "Nouveau"
    _put(api, "/api/solutions", [{"id": 1, "name": "CRM", "category": "Ventes", "views": 3}])
    response = _put(api, "/api/solutions", [{"id": 1, "name": "CRM+", "category": "Autre"}])
    assert response.json() == [{"id": 1, "name": "CRM+", "category": "Ventes", "views": 3}]
    # The same documents as the canonical route.
    assert api.get(f"{URL}/services").json()["data"] == api.get("/api/services").json()
    assert api.get("/api/settings", HTTP_IF_NONE_MATCH='"2"').status_code == 304


def test_seed_route_412_and_bad_bodies(api):
    _put(api, "/api/team", [{"id": 1, "name": "A"}])
    response = _put(api, "/api/team", [{"id": 1, "name": "B"}], HTTP_IF_MATCH='"0"')
    assert response.status_code == 412
    assert response.json()["data"] == [{"id": 1, "name": "A"}]
    assert response.json()["currentVersion"] == 1
    response = _put(api, "/api/team", {"id": 1})
    assert response.status_code == 400 and response.json()["code"] == "DOCUMENT_SHAPE"
    response = _put(api, "/api/settings", [])
    assert response.status_code == 400 and response.json()["code"] == "DOCUMENT_SHAPE"
    response = _put(api, "/api/settings", 3)
    assert response.status_code == 400 and response.json()["code"] == "NOT_AN_OBJECT"


def test_the_seed_routes_can_be_switched_off(api, settings):
    settings.RELAIS_DIALECT_SYNC = False
    for name in ("settings", "team", "services", "solutions"):
        response = api.get(f"/api/{name}")
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert _put(api, "/api/settings", {"a": 1}).status_code == 404
    assert not SyncDocument.objects.exists()


# --- Management API ---------------------------------------------------------------------


def test_management_api_scoped_with_etag_and_if_match(api, tenant):
    other = TenantFactory()
    theirs = document_write(tenant=other, name="settings", data={"a": 1}).document
    response = api.post(
        "/api/v1/manage/sync-documents/",
        {"tenant": str(other.pk), "name": "settings", "data": {"a": 2}},
        format="json",
    )
    assert response.status_code == 400  # another tenant's id: as if it did not exist
    assert "tenant" in response.json()["errors"]
    response = api.post(
        "/api/v1/manage/sync-documents/", {"name": "settings", "data": {"a": 2}}, format="json"
    )
    assert response.status_code == 201, response.json()
    ours = SyncDocument.objects.get(tenant=tenant)  # pinned to the caller's tenant
    assert response.json()["id"] == str(ours.pk)
    listed = api.get("/api/v1/manage/sync-documents/").json()["results"]
    assert [row["id"] for row in listed] == [str(ours.pk)]
    url = f"/api/v1/manage/sync-documents/{ours.pk}/"
    assert api.get(url)["ETag"] == '"1"'
    response = api.patch(url, {"data": {"a": 3}}, format="json", HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    response = api.patch(url, {"data": {"a": 3}}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    again = api.post(
        "/api/v1/manage/sync-documents/", {"name": "settings", "data": {}}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "DOCUMENT_EXISTS"
    assert api.get(f"/api/v1/manage/sync-documents/{theirs.pk}/").status_code == 404
    revisions = api.get("/api/v1/manage/sync-document-revisions/").json()["results"]
    assert {r["document"] for r in revisions} == {str(ours.pk)}


def test_restore_through_the_management_api(api, staff):
    document_write(tenant=staff.tenant, name="settings", data={"v": 1})
    document_write(tenant=staff.tenant, name="settings", data={"v": 2})
    first = SyncDocumentRevision.objects.get(version=1)
    response = api.post(f"/api/v1/manage/sync-document-revisions/{first.pk}/restore/")
    assert response.status_code == 200 and response.json()["data"] == {"v": 1}
    assert response.json()["version"] == 3
    assert _updates().first().actor == staff
    theirs = SyncDocumentRevision.objects.create(
        document=document_write(tenant=TenantFactory(), name="x", data={}).document, version=9
    )
    assert (
        api.post(f"/api/v1/manage/sync-document-revisions/{theirs.pk}/restore/").status_code == 404
    )


# --- Nodes read their tenant's documents -------------------------------------------------


def test_nodes_read_their_tenants_documents_and_write_none(tenant):
    from devices.tests.factories import DeviceFactory
    from licensing.tests.factories import LicenseFactory

    device = DeviceFactory(license=LicenseFactory(tenant=tenant))
    document_write(tenant=tenant, name="settings", data={"a": 1})
    document_write(tenant=TenantFactory(), name="team", data=[])
    node = APIClient()
    node.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    response = node.get(f"{URL}/settings")
    assert response.status_code == 200 and response.json()["data"] == {"a": 1}
    assert node.get(f"{URL}/settings", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert node.get("/api/settings").json() == {"a": 1}
    assert node.get(f"{URL}/team").status_code == 404  # another tenant's
    response = _put(node, f"{URL}/settings", {"data": {"a": 2}})
    assert response.status_code == 403 and response.json()["code"] == "PERMISSION_DENIED"
    # A license key with the device's hardware id, as the CRM client sends it.
    crm = APIClient()
    crm.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    response = crm.get(f"{URL}/settings", {"hardwareId": device.hardware_id})
    assert response.status_code == 200
    assert SyncDocument.objects.get(tenant=tenant).version == 1


def test_refusals_speak_french(api):
    response = _put(api, f"{URL}/Bad%20Name", {"data": {}}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["message"].startswith("Un nom de document")
    _put(api, f"{URL}/settings", {"data": {"a": 1}})
    response = _put(
        api, f"{URL}/settings", {"data": {}}, HTTP_IF_MATCH='"9"', HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.json()["message"] == (
        "Le document a changé depuis votre lecture : il est à la version 1."
    )
    response = _put(api, f"{URL}/settings", {"data": []}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["message"] == "Le document settings est un objet JSON."


def test_management_filters_refuse_another_tenants_ids(api, tenant):
    ours = document_write(tenant=tenant, name="team", data=[]).document
    theirs = document_write(tenant=TenantFactory(), name="team", data=[]).document
    response = api.get("/api/v1/manage/sync-document-revisions/", {"document": str(theirs.pk)})
    assert response.status_code == 400
    response = api.get("/api/v1/manage/sync-document-revisions/", {"document": str(ours.pk)})
    assert [r["document"] for r in response.json()["results"]] == [str(ours.pk)]
    response = api.get("/api/v1/manage/sync-documents/", {"tenant": str(theirs.tenant_id)})
    assert response.status_code == 400
    response = api.get("/api/v1/manage/sync-documents/", {"name": "team"})
    assert [r["id"] for r in response.json()["results"]] == [str(ours.pk)]


def test_control_characters_are_refused_and_line_breaks_kept(api):
    response = _put(api, f"{URL}/settings", {"data": {"bio": "a\u0000b"}})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_CHARACTERS"
    response = _put(api, "/api/team", [{"name": "x", "k\u0007": 1}])
    assert response.status_code == 400 and response.json()["code"] == "INVALID_CHARACTERS"
    assert not SyncDocument.objects.exists()
    response = _put(api, f"{URL}/settings", {"data": {"bio": "line 1\nline 2\tend"}})
    assert response.status_code == 201
    assert SyncDocument.objects.get().data == {"bio": "line 1\nline 2\tend"}
