"""Reads of synced documents."""

from .models import SyncDocument


def document_find(*, tenant, name: str) -> SyncDocument | None:
    """The tenant's document `name`, or None when it was never written."""
    return SyncDocument.objects.for_tenant(tenant, write=True).filter(name=name).first()
