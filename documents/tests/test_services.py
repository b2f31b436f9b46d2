"""Writes of synced documents: merged, versioned, kept as revisions, published once."""

import pytest

from core.exceptions import ApiError
from core.models import Event
from documents.models import SyncDocument, SyncDocumentRevision
from documents.services import (
    StaleDocument,
    document_create,
    document_restore,
    document_update,
    document_write,
)
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events():
    return Event.objects.filter(type="document.updated")


def test_the_first_write_creates_the_document_with_the_seed_defaults(tenant):
    user = UserFactory(tenant=tenant)
    result = document_write(tenant=tenant, name="team", data=[{"name": "Alice"}], actor=user)
    document = result.document
    assert result.created and result.changed
    # No id to follow yet: a new item gets a UUID (integers once the list numbers its items).
    assert document.version == 1 and document.data == [
        {"id": document.data[0]["id"], "name": "Alice"}
    ]
    assert len(document.data[0]["id"]) == 36
    assert document.preserve_fields == ["createdAt", "joinDate"]
    assert document.updated_by == user
    event = _events().get()
    assert event.actor == user and event.tenant == tenant
    assert event.payload == {
        "documentId": str(document.pk),
        "name": "team",
        "version": 1,
        "previousVersion": 0,
        "changed": [document.data[0]["id"]],
        "revisionId": document.revisions.get().pk,
    }


def test_seed_defaults_of_the_four_documents(tenant):
    defaults = {
        "settings": ({}, ["createdAt", "updatedBy"]),
        "team": ([], ["createdAt", "joinDate"]),
        "services": ([], ["createdAt", "views", "rating"]),
        "solutions": ([], ["createdAt", "views", "category"]),
        "anything-else": ({}, []),
    }
    for name, (data, fields) in defaults.items():
        document = document_write(tenant=tenant, name=name, data=data).document
        assert document.preserve_fields == fields, name


def test_a_write_keeps_preserved_fields_and_bumps_the_version(tenant):
    document_write(
        tenant=tenant,
        name="settings",
        data={"companyName": "TRU", "createdAt": "2024-01-01", "updatedBy": "alice"},
    )
    document = document_write(
        tenant=tenant,
        name="settings",
        data={"companyName": "TRU Group", "createdAt": "2026-11-25"},
    ).document
    document.refresh_from_db()
    assert document.version == 2
    assert document.data == {
        "companyName": "TRU Group",
        "createdAt": "2024-01-01",
        "updatedBy": "alice",
    }
    assert _events().first().payload["changed"] == ["companyName"]


def test_a_write_that_changes_nothing_changes_nothing(tenant):
    stored = [{"id": 1, "name": "A", "joinDate": "2020"}]
    document = document_write(tenant=tenant, name="team", data=stored).document
    updated_at, events, revisions = document.updated_at, _events().count(), 1
    # The same data, or data differing only in preserved fields or in key order.
    for data in (
        stored,
        [{"name": "A", "id": 1}],
        [{"name": "A", "id": 1, "joinDate": "1999"}],
    ):
        result = document_write(tenant=tenant, name="team", data=data)
        assert not result.changed
    document.refresh_from_db()
    assert document.version == 1 and document.updated_at == updated_at
    assert _events().count() == events
    assert SyncDocumentRevision.objects.filter(document=document).count() == revisions


def test_true_is_not_one(tenant):
    document_write(tenant=tenant, name="flags", data={"on": 1})
    assert document_write(tenant=tenant, name="flags", data={"on": True}).changed


def test_if_match(tenant):
    document_write(tenant=tenant, name="settings", data={"a": 1})
    with pytest.raises(StaleDocument) as caught:
        document_write(tenant=tenant, name="settings", data={"a": 2}, if_match=[7])
    assert caught.value.status_code == 412 and caught.value.extra == {"currentVersion": 1}
    assert caught.value.document.data == {"a": 1}
    assert document_write(tenant=tenant, name="settings", data={"a": 2}, if_match=[1]).changed
    # "0": only if it does not exist yet; "*": only if it does.
    with pytest.raises(StaleDocument):
        document_write(tenant=tenant, name="settings", data={"a": 3}, if_match=[0])
    with pytest.raises(StaleDocument):
        document_write(tenant=tenant, name="new", data={"a": 3}, if_match="*")
    assert document_write(tenant=tenant, name="new", data={"a": 3}, if_match=[0]).created
    assert SyncDocument.objects.get(name="settings").data == {"a": 2}


def test_refusals_write_nothing(tenant, settings):
    settings.RELAIS_DOCUMENT_MAX_BYTES = 100
    document_write(tenant=tenant, name="team", data=[{"id": 1, "name": "A"}])
    for name, data, code in [
        ("team", {"id": 1}, "DOCUMENT_SHAPE"),
        ("team", [{"id": 1}, "x"], "NOT_AN_OBJECT"),
        ("team", [{"id": 2}, {"id": 2}], "DUPLICATE_ID"),
        ("team", [{"id": 1, "bio": "x" * 200}], "DOCUMENT_TOO_LARGE"),
        ("Bad Name", {}, "INVALID_DOCUMENT_NAME"),
        ("../etc", {}, "INVALID_DOCUMENT_NAME"),
    ]:
        with pytest.raises(ApiError) as caught:
            document_write(tenant=tenant, name=name, data=data)
        assert caught.value.code == code, name
    assert SyncDocument.objects.get().version == 1 and _events().count() == 1
    assert SyncDocumentRevision.objects.count() == 1


def test_documents_are_per_tenant(tenant):
    other = TenantFactory()
    document_write(tenant=tenant, name="settings", data={"who": "a"})
    document_write(tenant=other, name="settings", data={"who": "b"})
    assert sorted(d.data["who"] for d in SyncDocument.objects.all()) == ["a", "b"]


def test_revisions_record_who_when_and_the_diff(tenant):
    alice, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    document_write(tenant=tenant, name="settings", data={"a": 1}, actor=alice)
    document_write(tenant=tenant, name="settings", data={"a": 2, "b": 3}, actor=bob)
    first, second = SyncDocumentRevision.objects.order_by("version")
    assert (first.version, first.actor, first.data) == (1, alice, {"a": 1})
    assert first.patch == [{"op": "add", "path": "/a", "value": 1}]
    assert (second.version, second.actor_label, second.changed) == (2, bob.username, ["a", "b"])
    assert sorted(op["path"] for op in second.patch) == ["/a", "/b"]


def test_restore_is_a_write_with_its_revision_and_event(tenant):
    admin = UserFactory()
    document_write(tenant=tenant, name="services", data=[{"id": "s", "name": "Old", "views": 1}])
    document_write(tenant=tenant, name="services", data=[{"id": "s", "name": "New"}])
    first = SyncDocumentRevision.objects.get(version=1)
    document = document_restore(revision=first, actor=admin)
    assert document.version == 3 and document.data == [{"id": "s", "name": "Old", "views": 1}]
    newest = SyncDocumentRevision.objects.get(version=3)
    assert newest.restored_from == first and newest.actor == admin
    event = _events().first()
    assert event.payload["restoredFromVersion"] == 1 and event.actor == admin
    # Restoring what is current changes nothing.
    document_restore(revision=newest, actor=admin)
    assert SyncDocument.objects.get().version == 3 and _events().count() == 3


def test_restore_keeps_the_current_preserved_fields(tenant):
    document_write(tenant=tenant, name="services", data=[{"id": "s", "views": 1, "name": "A"}])
    document_write(tenant=tenant, name="services", data=[{"id": "s", "name": "B"}])
    # Views are counted elsewhere: a later count survives restoring an older revision.
    document = SyncDocument.objects.get()
    document_update(document=document, preserve_fields=[], data=[{"id": "s", "views": 9}])
    document_update(document=document, preserve_fields=["views"])
    document = document_restore(revision=SyncDocumentRevision.objects.get(version=1))
    assert document.data == [{"id": "s", "views": 9, "name": "A"}]


def test_create_refuses_a_taken_name(tenant):
    document_create(tenant=tenant, name="settings", data={"a": 1})
    with pytest.raises(ApiError) as caught:
        document_create(tenant=tenant, name="settings", data={"a": 2})
    assert caught.value.code == "DOCUMENT_EXISTS" and caught.value.status_code == 409


def test_update_of_preserve_fields_alone_is_one_change(tenant):
    document = document_create(tenant=tenant, name="custom", data={"a": 1})
    document = document_update(document=document, preserve_fields=["a"])
    assert document.version == 2 and document.preserve_fields == ["a"]
    assert _events().first().payload["preserveFields"] == ["a"]
    document_update(document=document, preserve_fields=["a"])
    assert SyncDocument.objects.get().version == 2
    with pytest.raises(ApiError) as caught:
        document_update(document=document, preserve_fields="a")
    assert caught.value.code == "INVALID_PRESERVE_FIELDS"


def test_a_change_is_delivered_to_subscribed_webhooks_and_a_no_op_is_not(tenant, settings):
    """The seed's frontend notification (VITE_WEBHOOK_URL) as a webhook subscription."""
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create
    from webhooks.tests.factories import RECEIVER_URL

    settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    frontend = endpoint_create(url=RECEIVER_URL, tenant=tenant, event_types=["document.*"])
    other = endpoint_create(url=RECEIVER_URL, tenant=TenantFactory(), event_types=["*"])
    document_write(tenant=tenant, name="settings", data={"a": 1})
    document_write(tenant=tenant, name="settings", data={"a": 1})  # nothing changed
    (delivery,) = WebhookDelivery.objects.filter(endpoint=frontend.endpoint)
    assert delivery.event.type == "document.updated"
    assert delivery.event.payload["name"] == "settings"
    assert not WebhookDelivery.objects.filter(endpoint=other.endpoint).exists()


def _settings_with_revisions(tenant, versions: int):
    document = document_create(tenant=tenant, name="settings", data={"n": 0})
    for n in range(1, versions):
        document = document_update(document=document, data={"n": n})
    return document


def test_old_revisions_beyond_the_newest_are_pruned(tenant, settings):
    from datetime import timedelta

    from django.utils import timezone

    from documents.services import document_revisions_prune

    settings.RELAIS_DOCUMENT_REVISION_RETENTION_DAYS = 30
    settings.RELAIS_DOCUMENT_REVISIONS_KEPT = 3
    document = _settings_with_revisions(tenant, 8)
    other = _settings_with_revisions(TenantFactory(), 2)  # fewer than the kept: all stay
    revisions = SyncDocumentRevision.objects.filter(document=document)
    long_ago = timezone.now() - timedelta(days=31)
    revisions.filter(version__in=[1, 2, 3, 4, 7]).update(created_at=long_ago)
    SyncDocumentRevision.objects.filter(document=other).update(created_at=long_ago)
    fifth = revisions.get(version=5)
    restore = document_restore(revision=revisions.get(version=2))  # version 9, from 2
    restored = revisions.get(version=restore.version)

    # 1-4: old and beyond the newest 3 (7-9); 5 and 6 are recent, 7 is among the newest.
    assert document_revisions_prune(batch=2) == 4
    assert sorted(revisions.values_list("version", flat=True)) == [5, 6, 7, 8, 9]
    restored.refresh_from_db()
    assert restored.restored_from is None and restored.data == {"n": 1}
    assert revisions.get(version=5) == fifth
    assert SyncDocumentRevision.objects.filter(document=other).count() == 2
    assert document_revisions_prune() == 0


def test_no_retention_keeps_every_revision(tenant, settings):
    from datetime import timedelta

    from django.utils import timezone

    from documents.services import document_revisions_prune

    settings.RELAIS_DOCUMENT_REVISION_RETENTION_DAYS = 0
    settings.RELAIS_DOCUMENT_REVISIONS_KEPT = 0
    document = _settings_with_revisions(tenant, 3)
    SyncDocumentRevision.objects.update(created_at=timezone.now() - timedelta(days=3650))
    assert document_revisions_prune() == 0
    assert SyncDocumentRevision.objects.filter(document=document).count() == 3


def test_the_current_revision_is_kept_whatever_the_setting(tenant, settings):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from documents.services import document_revisions_prune

    settings.RELAIS_DOCUMENT_REVISION_RETENTION_DAYS = 1
    settings.RELAIS_DOCUMENT_REVISIONS_KEPT = 0
    _settings_with_revisions(tenant, 3)
    SyncDocumentRevision.objects.update(created_at=timezone.now() - timedelta(days=10))
    with CaptureQueriesContext(connection) as queries:
        assert document_revisions_prune() == 2
    assert list(SyncDocumentRevision.objects.values_list("version", flat=True)) == [3]
    loading = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not any('"data"' in sql or '"patch"' in sql for sql in loading), loading
