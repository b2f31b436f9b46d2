"""Reads of synced documents, their publishable keys and their tenants' browser origins."""

from django.conf import settings
from django.core.cache import cache

from licensing.keys import secret_hash

from .models import BrowserOrigin, PublishableKey, SyncDocument

PUBLISHABLE_PREFIX = "rlp_"
# Every tenant's browser origins, {origin: [tenant id, …]}: read by CORS on each browser
# request, so cached; the services delete it when an origin is added or removed.
ORIGINS_CACHE_KEY = "relais:documents:browser-origins"


def document_find(*, tenant, name: str) -> SyncDocument | None:
    """The tenant's document `name`, or None when it was never written."""
    return SyncDocument.objects.for_tenant(tenant, write=True).filter(name=name).first()


def publishable_key_by_key(*, key: str) -> PublishableKey | None:
    """The active publishable key `key` (`rlp_…`), with its tenant, or None."""
    if not key.startswith(PUBLISHABLE_PREFIX) or len(key) > 200:
        return None
    return (
        PublishableKey.objects.select_related("tenant")
        .filter(key_hash=secret_hash(key), revoked_at__isnull=True, tenant__is_active=True)
        .first()
    )


def publishable_keys_reading(*, tenant_id, name: str) -> list[str]:
    """Ids of the tenant's active keys that read document `name` (the rooms a push goes to)."""
    keys = PublishableKey.objects.filter(tenant_id=tenant_id, revoked_at__isnull=True)
    return [str(pk) for pk, names in keys.values_list("pk", "documents") if name in names]


def browser_origins() -> dict[str, list[str]]:
    """{origin: ids of the tenants that declared it}, from the cache when it is there."""
    found = cache.get(ORIGINS_CACHE_KEY)
    if found is None:
        found = {}
        for origin, tenant_id in BrowserOrigin.objects.values_list("origin", "tenant_id"):
            found.setdefault(origin, []).append(str(tenant_id))
        cache.set(ORIGINS_CACHE_KEY, found, timeout=None)
    return found


def origin_allowed(origin: str, *, tenant_id=None) -> bool:
    """Whether a browser on `origin` may call: one of RELAIS_CORS_ALLOWED_ORIGINS, or one
    a tenant declared (that tenant's, when `tenant_id` is given)."""
    if origin in settings.RELAIS_CORS_ALLOWED_ORIGINS:
        return True
    tenants = browser_origins().get(origin, [])
    return bool(tenants) if tenant_id is None else str(tenant_id) in tenants
