"""Writes of the sync domain."""

from .document_services import (  # noqa: F401 - the documents' services, by their names
    DocumentWrite,
    StaleDocument,
    document_create,
    document_restore,
    document_revisions_prune,
    document_update,
    document_write,
)
