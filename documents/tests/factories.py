import itertools

from documents.models import SyncDocument, SyncDocumentRevision
from documents.services import document_write

_names = itertools.count()


def make_document(tenant, *, name=None, data=None, actor=None) -> SyncDocument:
    """A written document (version 1, one revision) of `tenant`."""
    name = name or f"doc-{next(_names)}"
    data = {"title": "Relais", "createdAt": "2026-01-01"} if data is None else data
    return document_write(tenant=tenant, name=name, data=data, actor=actor).document


def make_revisions(tenant, *, actor=None) -> list[SyncDocumentRevision]:
    """A document written twice: its revisions, oldest first."""
    document = make_document(tenant, actor=actor)
    document_write(tenant=tenant, name=document.name, data={"title": "Relais 2"}, actor=actor)
    return list(document.revisions.order_by("version"))


TENANT_FACTORIES = {
    SyncDocument: lambda tenant: make_document(tenant),
    SyncDocumentRevision: lambda tenant: make_document(tenant).revisions.get(),
}
