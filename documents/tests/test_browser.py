"""Seed 004's browser clients over HTTP: CORS from the environment's and the tenants'
origins, publishable read keys, the generic `/api/<name>` with the seed client's per-call
options, and the default tenant of a platform staff token. Every new route and key is
tried across tenants."""

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.models import Event
from documents.models import PublishableKey, SyncDocument
from documents.services import document_write, publishable_key_revoke
from documents.tests.factories import make_key, make_origin
from licensing.services import api_token_create
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
FRONT = "https://trugroup.vercel.app"
ENV_FRONT = "https://backoffice.tru.example"


def _reader(key, origin=None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    if origin:
        client.defaults["HTTP_ORIGIN"] = origin
    return client


def _staff(tenant):
    client = APIClient()
    token = api_token_create(user=UserFactory(tenant=tenant)).token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _put(client, url, body, **extra):
    return client.put(url, json.dumps(body), content_type="application/json", **extra)


# --- CORS ------------------------------------------------------------------------------------


@override_settings(RELAIS_CORS_ALLOWED_ORIGINS=[ENV_FRONT], CORS_ALLOWED_ORIGINS=[ENV_FRONT])
def test_preflight_from_the_environments_and_a_tenants_origins(client, tenant):
    make_origin(tenant, FRONT + "/")  # stored as the browser sends it
    for origin in (ENV_FRONT, FRONT):
        response = client.options(
            "/api/settings",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, if-match",
        )
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == origin
        assert "if-match" in response["Access-Control-Allow-Headers"]
        assert "PUT" in response["Access-Control-Allow-Methods"]
        assert "Access-Control-Allow-Credentials" not in response
    stranger = client.options(
        "/api/settings",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in stranger
    # The admin is never opened to other origins.
    admin = client.get("/admin/login/", HTTP_ORIGIN=FRONT)
    assert "Access-Control-Allow-Origin" not in admin


def test_a_removed_origin_is_refused_at_once(
    tenant, platform_client, django_capture_on_commit_callbacks
):
    origin = make_origin(tenant, FRONT)
    headers = {"HTTP_ORIGIN": FRONT}
    assert APIClient().get("/api/settings", **headers)["Access-Control-Allow-Origin"] == FRONT
    with django_capture_on_commit_callbacks(execute=True):
        response = platform_client.delete(f"/api/v1/manage/browser-origins/{origin.pk}/")
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in APIClient().get("/api/settings", **headers)


def test_an_origin_is_scheme_host_and_port_only(platform_client, tenant):
    url = "/api/v1/manage/browser-origins/"
    for bad in ("trugroup.vercel.app", "ftp://x.example", "https://x.example/path", "https://"):
        response = platform_client.post(url, {"tenant": str(tenant.pk), "origin": bad})
        assert response.status_code == 400 and response.json()["code"] == "INVALID_ORIGIN", bad
    created = platform_client.post(
        url, {"tenant": str(tenant.pk), "origin": "HTTPS://X.example:443"}
    )
    assert created.status_code == 201 and created.json()["origin"] == "https://x.example"
    again = platform_client.post(url, {"tenant": str(tenant.pk), "origin": "https://x.example"})
    assert again.status_code == 409 and again.json()["code"] == "ORIGIN_EXISTS"


# --- Publishable keys ------------------------------------------------------------------------


def test_a_key_is_shown_once_and_stored_hashed(platform_client, tenant):
    response = platform_client.post(
        "/api/v1/manage/publishable-keys/",
        {"tenant": str(tenant.pk), "name": "Site public", "documents": ["settings", "team"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    key = response.json()["key"]
    assert key.startswith("rlp_") and response.json()["prefix"] == key[:12]
    row = PublishableKey.objects.get()
    assert key not in json.dumps(list(PublishableKey.objects.values()), default=str)
    assert row.key_hash != key and len(row.key_hash) == 64
    listed = platform_client.get(f"/api/v1/manage/publishable-keys/{row.pk}/").json()
    assert "key" not in listed and listed["documents"] == ["settings", "team"]
    assert Event.objects.filter(type="publishable_key.created", tenant=tenant).count() == 1


def test_a_key_reads_its_documents_with_etag_and_304(tenant):
    document_write(tenant=tenant, name="settings", data={"companyName": "TRU Group"})
    _, key = make_key(tenant)
    reader = _reader(key)
    for url in ("/api/settings", "/api/v1/sync/documents/settings"):
        response = reader.get(url)
        assert response.status_code == 200 and response["ETag"] == '"1"'
        assert reader.get(url, HTTP_IF_NONE_MATCH='"1"').status_code == 304
    assert reader.get("/api/settings").json() == {"companyName": "TRU Group"}
    assert reader.get("/api/team").json() == []  # named by the key, never written
    # A key never writes, and reads only what it names.
    denied = _put(reader, "/api/settings", {"companyName": "Hacked"})
    assert denied.status_code == 403 and denied.json()["code"] == "PERMISSION_DENIED"
    assert reader.get("/api/services").status_code == 403
    assert reader.get("/api/custom-endpoint").status_code == 403
    assert SyncDocument.objects.get(name="settings").data == {"companyName": "TRU Group"}


def test_a_revoked_or_unknown_key_is_refused(tenant):
    row, key = make_key(tenant)
    assert _reader(key).get("/api/settings").status_code == 200
    publishable_key_revoke(publishablekey=row)
    for secret in (key, "rlp_" + "x" * 43):
        response = _reader(secret).get("/api/settings")
        assert response.status_code == 401 and response.json()["code"] == "AUTHENTICATION_FAILED"


def test_a_key_in_the_query_string_reads_too(tenant):
    _, key = make_key(tenant)
    assert APIClient().get("/api/settings", {"key": key}).status_code == 200


def test_a_key_reads_its_own_tenant_only(tenant):
    other = TenantFactory()
    document_write(tenant=other, name="settings", data={"companyName": "Other"})
    document_write(tenant=tenant, name="settings", data={"companyName": "TRU"})
    _, key = make_key(tenant)
    reader = _reader(key)
    assert reader.get("/api/settings").json() == {"companyName": "TRU"}
    response = reader.get("/api/settings", {"tenant": str(other.pk)})
    assert response.status_code == 404 and response.json()["code"] == "TENANT_NOT_FOUND"


def test_a_key_is_accepted_only_from_its_tenants_origins(tenant):
    other = TenantFactory()
    make_origin(tenant, FRONT)
    make_origin(other, "https://other.example")
    _, key = make_key(tenant)
    assert _reader(key, FRONT).get("/api/settings").status_code == 200
    # Another tenant's origin passes CORS, but not with this tenant's key.
    refused = _reader(key, "https://other.example").get("/api/settings")
    assert refused.status_code == 403 and refused.json()["code"] == "ORIGIN_NOT_ALLOWED"
    assert refused["Access-Control-Allow-Origin"] == "https://other.example"  # readable


def test_staff_manage_only_their_tenants_keys_and_origins(tenant):
    other = TenantFactory()
    theirs, _ = make_key(other)
    their_origin = make_origin(other)
    staff = UserFactory(tenant=tenant, is_superuser=False)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="documents"))
    client = APIClient()
    client.force_authenticate(staff)
    url = "/api/v1/manage/publishable-keys/"
    foreign = client.post(url, {"tenant": str(other.pk), "documents": ["settings"]}, format="json")
    assert foreign.status_code == 400  # another tenant's id reads as an unknown one
    created = client.post(url, {"documents": ["settings"]}, format="json")
    assert created.status_code == 201
    assert PublishableKey.objects.get(pk=created.json()["id"]).tenant == tenant  # pinned
    listed = {row["id"] for row in client.get(url).json()["results"]}
    assert str(theirs.pk) not in listed
    assert client.post(f"/api/v1/manage/publishable-keys/{theirs.pk}/revoke/").status_code == 404
    assert client.delete(f"/api/v1/manage/browser-origins/{their_origin.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_bad_documents_of_a_key_are_refused(platform_client, tenant):
    url = "/api/v1/manage/publishable-keys/"
    for documents in ([], ["Bad Name"], "settings"):
        body = {"tenant": str(tenant.pk), "documents": documents}
        response = platform_client.post(url, body, format="json")
        assert response.status_code == 400, documents
        assert "code" in response.json()


# --- The generic /api/<name> and the per-call options ----------------------------------------


def test_the_generic_route_reaches_any_document(tenant):
    staff = _staff(tenant)
    response = _put(staff, "/api/custom-endpoint", {"data": "value", "field1": "a"})
    assert response.status_code == 201 and response["ETag"] == '"1"'
    assert staff.get("/api/custom-endpoint").json() == {"data": "value", "field1": "a"}
    assert SyncDocument.objects.get(tenant=tenant).name == "custom-endpoint"
    assert staff.get("/api/never-written").json() == {}
    # Not a document name, or another route's: never a document.
    assert staff.get("/api/Bad_Name").status_code == 400
    assert staff.get("/api/v1").status_code == 404
    assert staff.get("/api/schema").status_code in (301, 404)


def test_preserve_fields_of_a_call_join_the_documents_list(tenant):
    staff = _staff(tenant)
    url = "/api/custom-endpoint"
    _put(staff, url, {"field1": "kept", "field2": "kept too", "title": "v1"})
    response = _put(staff, f"{url}?preserveFields=field1,field2", {"field1": "lost", "title": "v2"})
    assert response.json() == {"field1": "kept", "field2": "kept too", "title": "v2"}
    # The list keeps them: a later write that names none still keeps them, and a call never
    # removes the server's own (the seed's `createdAt` on settings).
    assert _put(staff, url, {"field1": "lost again"}).json()["field1"] == "kept"
    _put(staff, "/api/settings", {"createdAt": "2024-01-01", "companyName": "TRU"})
    _put(staff, "/api/settings?preserveFields=email", {"createdAt": "x", "email": "a@tru.com"})
    document = SyncDocument.objects.get(tenant=tenant, name="settings")
    assert document.preserve_fields == ["createdAt", "updatedBy", "email"]
    assert document.data["createdAt"] == "2024-01-01"


def test_only_update_if_changed_and_notify_frontend(tenant):
    staff = _staff(tenant)
    url = "/api/custom-endpoint"
    _put(staff, url, {"a": 1})
    assert _put(staff, url, {"a": 1})["ETag"] == '"1"'  # unchanged: nothing written
    forced = _put(staff, f"{url}?onlyUpdateIfChanged=false", {"a": 1})
    assert forced.status_code == 200 and forced["ETag"] == '"2"'
    quiet = _put(staff, f"{url}?notifyFrontend=false", {"a": 2})
    assert quiet["ETag"] == '"3"'
    events = Event.objects.filter(type="document.updated").order_by("created_at")
    assert [e.payload["version"] for e in events] == [1, 2, 3]
    assert [e.payload.get("notifyFrontend", True) for e in events] == [True, True, False]
    bad = _put(staff, f"{url}?notifyFrontend=maybe", {"a": 3})
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"


def test_the_generic_route_is_tenant_scoped(tenant):
    other = TenantFactory()
    document_write(tenant=other, name="custom-endpoint", data={"secret": "theirs"})
    staff = _staff(tenant)
    assert staff.get("/api/custom-endpoint").json() == {}
    response = staff.get("/api/custom-endpoint", {"tenant": str(other.pk)})
    assert response.status_code == 404 and response.json()["code"] == "TENANT_NOT_FOUND"
    _put(staff, "/api/custom-endpoint", {"mine": True})
    other_doc = SyncDocument.objects.get(tenant=other)
    assert other_doc.data == {"secret": "theirs"} and other_doc.version == 1


# --- A platform staff token's default tenant -------------------------------------------------


def test_a_token_with_a_default_tenant_needs_no_tenant_parameter(tenant):
    other = TenantFactory()
    admin = UserFactory(is_superuser=True, is_staff=True)
    bare, scoped = APIClient(), APIClient()
    bare.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=admin).token}")
    token = api_token_create(user=admin, default_tenant=tenant).token
    scoped.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = bare.get("/api/settings")
    assert response.status_code == 400 and response.json()["code"] == "TENANT_REQUIRED"
    assert _put(scoped, "/api/settings", {"companyName": "TRU"}).status_code == 201
    assert SyncDocument.objects.get(name="settings").tenant == tenant
    # `?tenant=` still names another tenant for platform staff.
    _put(scoped, f"/api/settings?tenant={other.pk}", {"companyName": "Other"})
    assert SyncDocument.objects.get(name="settings", tenant=other).data == {"companyName": "Other"}


def test_a_tenant_staff_token_cannot_default_to_another_tenant(tenant):
    from core.exceptions import ApiError

    with pytest.raises(ApiError) as refused:
        api_token_create(user=UserFactory(tenant=tenant), default_tenant=TenantFactory())
    assert refused.value.code == "TENANT_NOT_FOUND"
