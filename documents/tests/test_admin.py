"""The backoffice: documents written through the services, revisions read and restored."""

import json

import pytest

from core.models import Event
from documents.models import SyncDocument, SyncDocumentRevision
from documents.services import document_write
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
DOCS = "/admin/documents/syncdocument"
REVISIONS = "/admin/documents/syncdocumentrevision"


def test_tenant_staff_write_their_documents_in_the_admin(client, tenant):
    staff = UserFactory(tenant=tenant)
    client.force_login(staff)
    response = client.post(
        f"{DOCS}/add/",
        {"name": "services", "data": json.dumps([{"name": "Audit", "views": 3}])},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    document = SyncDocument.objects.get()
    assert document.tenant == tenant and document.preserve_fields == [
        "createdAt",
        "views",
        "rating",
    ]
    item_id = document.data[0]["id"]
    response = client.post(
        f"{DOCS}/{document.pk}/change/",
        {
            "data": json.dumps([{"id": item_id, "name": "Audit+", "views": 0}]),
            "preserve_fields": json.dumps(document.preserve_fields),
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.version == 2
    assert document.data == [{"id": item_id, "name": "Audit+", "views": 3}]
    assert Event.objects.filter(type="document.updated", actor=staff).count() == 2
    page = client.get(f"{DOCS}/{document.pk}/change/")
    assert page.status_code == 200 and b"/admin/documents/syncdocumentrevision/" in page.content


def test_a_refused_write_is_a_message_not_an_error_page(client, tenant):
    client.force_login(UserFactory(tenant=tenant))
    response = client.post(f"{DOCS}/add/", {"name": "team", "data": "{}"}, follow=True)
    assert response.status_code == 200
    assert "DOCUMENT_SHAPE" in " ".join(str(m) for m in response.context["messages"])
    assert not SyncDocument.objects.exists()


def test_restore_action(client, tenant):
    staff = UserFactory(tenant=tenant)
    document_write(tenant=tenant, name="settings", data={"v": 1})
    document_write(tenant=tenant, name="settings", data={"v": 2})
    first = SyncDocumentRevision.objects.get(version=1)
    client.force_login(staff)
    page = client.get(f"{REVISIONS}/{first.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    response = client.post(REVISIONS + "/", {"action": "restore", "_selected_action": [first.pk]})
    assert response.status_code == 302
    document = SyncDocument.objects.get()
    assert document.data == {"v": 1} and document.version == 3
    newest = document.revisions.get(version=3)
    assert newest.restored_from == first and newest.actor == staff


def test_restore_needs_the_change_permission_on_documents(client, tenant):
    from django.contrib.auth.models import Permission

    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_syncdocumentrevision"))
    document_write(tenant=tenant, name="settings", data={"v": 1})
    document_write(tenant=tenant, name="settings", data={"v": 2})
    first = SyncDocumentRevision.objects.get(version=1)
    client.force_login(viewer)
    client.post(REVISIONS + "/", {"action": "restore", "_selected_action": [first.pk]})
    assert SyncDocument.objects.get().version == 2


def test_tenant_staff_cannot_restore_another_tenants_revision(client, tenant):
    other = TenantFactory()
    document_write(tenant=other, name="settings", data={"v": 1})
    document_write(tenant=other, name="settings", data={"v": 2})
    first = SyncDocumentRevision.objects.get(version=1)
    client.force_login(UserFactory(tenant=tenant))
    client.post(REVISIONS + "/", {"action": "restore", "_selected_action": [first.pk]})
    assert SyncDocument.objects.get().version == 2


def test_admin_refuses_a_nul_in_a_document(client, tenant):
    client.force_login(UserFactory(tenant=tenant))
    response = client.post(f"{DOCS}/add/", {"name": "settings", "data": '{"a": "x\\u0000y"}'})
    assert response.status_code == 200  # the form again, with its error
    assert not SyncDocument.objects.exists()
