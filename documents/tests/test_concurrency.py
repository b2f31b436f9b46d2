"""On PostgreSQL, of two writers racing with the same `If-Match`, one wins and the other is
told (412); concurrent first writes make one document."""

import time

import pytest
from django.db import connection

from core.exceptions import ApiError
from documents import merge as document_merge
from documents.models import SyncDocument, SyncDocumentRevision
from documents.services import document_write
from licensing.tests.factories import TenantFactory
from licensing.tests.test_concurrency import _run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


@pytest.fixture
def slow_merge(monkeypatch):
    """Each writer holds the document a while after reading it, so the race is real: without
    the row lock both would read version 1 and both would write."""
    merge = document_merge.merge

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return merge(*args, **kwargs)

    monkeypatch.setattr(document_merge, "merge", slow)


def _write(tenant, name, data, if_match):
    def write():
        try:
            document_write(tenant=tenant, name=name, data=data(), if_match=if_match)
            return "ok"
        except ApiError as exc:
            return exc.code

    return write


def test_two_writers_with_the_same_if_match(slow_merge):
    tenant = TenantFactory()
    document_write(tenant=tenant, name="settings", data={"writer": None})
    writers = iter(["a", "b"])
    results = _run_concurrently(
        2, _write(tenant, "settings", lambda: {"writer": next(writers)}, [1])
    )
    assert sorted(results) == ["PRECONDITION_FAILED", "ok"]
    document = SyncDocument.objects.get()
    assert document.version == 2 and document.data["writer"] in ("a", "b")
    assert SyncDocumentRevision.objects.filter(document=document).count() == 2


def test_concurrent_creations_make_one_document(slow_merge):
    tenant = TenantFactory()
    counter = iter(range(100))
    results = _run_concurrently(5, _write(tenant, "team", lambda: [{"n": next(counter)}], [0]))
    assert sorted(results) == ["PRECONDITION_FAILED"] * 4 + ["ok"]
    assert SyncDocument.objects.get().version == 1


def test_writers_without_if_match_are_serialised_and_each_recorded(slow_merge):
    tenant = TenantFactory()
    document_write(tenant=tenant, name="settings", data={})
    counter = iter(range(100))
    results = _run_concurrently(4, _write(tenant, "settings", lambda: {"n": next(counter)}, None))
    assert results == ["ok"] * 4
    document = SyncDocument.objects.get()
    versions = sorted(document.revisions.values_list("version", flat=True))
    assert document.version == 5 and versions == [1, 2, 3, 4, 5]
