"""Browser clients of synced documents (seed 004's public frontend): publishable read keys
and the origins a tenant's frontends call from."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from core.services.changes import model_update
from licensing.keys import secret_hash, token_display_prefix, token_generate

from ..models import BrowserOrigin, PublishableKey
from ..selectors import ORIGINS_CACHE_KEY
from .documents import validate_name

MAX_KEY_DOCUMENTS = 50


@dataclass(frozen=True)
class IssuedPublishableKey:
    publishable_key: PublishableKey
    key: str  # shown once


def _clean_documents(documents) -> list[str]:
    if not isinstance(documents, list) or not 0 < len(documents) <= MAX_KEY_DOCUMENTS:
        raise ApiError(
            "INVALID_DOCUMENTS", _("documents lists the names of the documents the key reads.")
        )
    for name in documents:
        if not isinstance(name, str):
            raise ApiError(
                "INVALID_DOCUMENTS", _("documents lists the names of the documents the key reads.")
            )
        validate_name(name)
    return list(dict.fromkeys(documents))


def _key_payload(key: PublishableKey) -> dict:
    return {"keyId": str(key.pk), "prefix": key.prefix, "documents": key.documents}


@transaction.atomic
def publishable_key_create(
    *, tenant, documents, name: str = "", actor=None
) -> IssuedPublishableKey:
    """A new key reading `documents` of `tenant`; the key itself is returned once."""
    secret = token_generate("rlp")
    key = PublishableKey(
        tenant=tenant,
        name=name,
        documents=_clean_documents(documents),
        key_hash=secret_hash(secret),
        prefix=token_display_prefix(secret),
    )
    key.full_clean()
    key.save()
    events.publish("publishable_key.created", tenant=tenant, payload=_key_payload(key), actor=actor)
    return IssuedPublishableKey(publishable_key=key, key=secret)


@transaction.atomic
def publishable_key_update(*, publishablekey: PublishableKey, actor=None, **changes):
    """Rename a key or change the documents it reads (takes effect on its next read)."""
    if "documents" in changes:
        changes["documents"] = _clean_documents(changes["documents"])
    _, changed = model_update(publishablekey, editable={"name", "documents"}, changes=changes)
    if changed:
        payload = _key_payload(publishablekey) | {"changed": changed}
        events.publish(
            "publishable_key.updated", tenant=publishablekey.tenant, payload=payload, actor=actor
        )
    return publishablekey


@transaction.atomic
def publishable_key_revoke(*, publishablekey: PublishableKey, actor=None) -> PublishableKey:
    """Revoked for good: its reads are refused at once and its sockets stop hearing pushes."""
    if publishablekey.revoked_at is not None:
        return publishablekey
    publishablekey.revoked_at = timezone.now()
    publishablekey.save(update_fields=["revoked_at"])
    events.publish(
        "publishable_key.revoked",
        tenant=publishablekey.tenant,
        payload=_key_payload(publishablekey),
        actor=actor,
    )
    return publishablekey


def origin_normalize(origin: str) -> str:
    """`https://Example.com:443/` → `https://example.com`: what a browser sends in `Origin`."""
    if not isinstance(origin, str) or len(origin) > 200:
        raise ApiError("INVALID_ORIGIN", _("An origin is scheme://host[:port], nothing more."))
    parts = urlsplit(origin.strip())
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        default_port is None
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or port == -1
    ):
        raise ApiError("INVALID_ORIGIN", _("An origin is scheme://host[:port], nothing more."))
    netloc = parts.hostname if port in (None, default_port) else f"{parts.hostname}:{port}"
    return f"{parts.scheme}://{netloc}"


def _origins_changed() -> None:
    transaction.on_commit(lambda: cache.delete(ORIGINS_CACHE_KEY))


@transaction.atomic
def browser_origin_create(*, tenant, origin: str, actor=None) -> BrowserOrigin:
    origin = origin_normalize(origin)
    if BrowserOrigin.objects.filter(tenant=tenant, origin=origin).exists():
        raise ApiError("ORIGIN_EXISTS", _("The tenant already has this origin."), 409)
    row = BrowserOrigin(tenant=tenant, origin=origin)
    row.full_clean()
    row.save()
    payload = {"originId": str(row.pk), "origin": origin}
    events.publish("browser_origin.created", tenant=tenant, payload=payload, actor=actor)
    _origins_changed()
    return row


@transaction.atomic
def browser_origin_delete(*, browserorigin: BrowserOrigin, actor=None) -> None:
    payload = {"originId": str(browserorigin.pk), "origin": browserorigin.origin}
    tenant = browserorigin.tenant
    browserorigin.delete()
    events.publish("browser_origin.deleted", tenant=tenant, payload=payload, actor=actor)
    _origins_changed()
