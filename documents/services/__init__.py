"""Writes of synced documents (documents.py) and of their browser clients' keys and
origins (browser.py)."""

from .browser import (
    IssuedPublishableKey,
    browser_origin_create,
    browser_origin_delete,
    origin_normalize,
    publishable_key_create,
    publishable_key_revoke,
    publishable_key_update,
)
from .documents import (
    ANY,
    MAX_PRESERVE_FIELDS,
    DocumentWrite,
    StaleDocument,
    document_create,
    document_restore,
    document_revisions_prune,
    document_update,
    document_write,
    validate_name,
)

__all__ = [
    "ANY",
    "MAX_PRESERVE_FIELDS",
    "DocumentWrite",
    "IssuedPublishableKey",
    "StaleDocument",
    "browser_origin_create",
    "browser_origin_delete",
    "document_create",
    "document_restore",
    "document_revisions_prune",
    "document_update",
    "document_write",
    "origin_normalize",
    "publishable_key_create",
    "publishable_key_revoke",
    "publishable_key_update",
    "validate_name",
]
