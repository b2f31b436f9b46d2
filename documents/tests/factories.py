import itertools

from documents.models import BrowserOrigin, PublishableKey, SyncDocument, SyncDocumentRevision
from documents.services import browser_origin_create, document_write, publishable_key_create

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


def make_key(tenant, *, documents=("settings", "team")):
    """(the row, the key in clear) of a publishable key of `tenant`."""
    issued = publishable_key_create(tenant=tenant, documents=list(documents), name="Site public")
    return issued.publishable_key, issued.key


def make_origin(tenant, origin=None) -> BrowserOrigin:
    return browser_origin_create(
        tenant=tenant, origin=origin or f"https://front-{next(_names)}.example.com"
    )


TENANT_FACTORIES = {
    PublishableKey: lambda tenant: make_key(tenant)[0],
    BrowserOrigin: lambda tenant: make_origin(tenant),
    SyncDocument: lambda tenant: make_document(tenant),
    SyncDocumentRevision: lambda tenant: make_document(tenant).revisions.get(),
}
