"""Browsers (seed 004's public frontend): a page connects with a publishable key in the
connection's `auth` (`io(url, {auth: {publishableKey}})`) and hears `document.updated`
for the documents the key reads. One room per key: a push looks up which keys read the
document, so a key's list can change and a revoked key's room is closed at once."""

import concurrent.futures

from django.conf import settings
from socketio.exceptions import ConnectionRefusedError

from documents.selectors import origin_allowed, publishable_key_by_key, publishable_keys_reading

from .push import close_room, emit_to_room

MAX_KEY = 200


def key_room(key_id) -> str:
    return f"publishable:{key_id}"


def _refused(code: str, message: str) -> ConnectionRefusedError:
    return ConnectionRefusedError(message, {"code": code, "message": message})


def _own_origins(environ) -> set[str]:
    """This server's origin as the request names it, directly or through the proxy (a page
    it served itself), as engine.io's own default does."""
    if not environ or "HTTP_HOST" not in environ:
        return set()
    scheme, host = environ.get("wsgi.url_scheme", "http"), environ["HTTP_HOST"]
    forwarded_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
    return {f"{scheme}://{host}", f"{forwarded_scheme}://{forwarded_host}"}


def connection_key(auth, environ) -> str | None:
    """The id of the publishable key of a connection's auth, None when it carries none;
    refused when the key is unknown or revoked, or the page's origin is not its tenant's
    (nor this server's own)."""
    if not isinstance(auth, dict) or "publishableKey" not in auth:
        return None
    secret = auth["publishableKey"]
    key = None
    if isinstance(secret, str) and len(secret) <= MAX_KEY:
        key = publishable_key_by_key(key=secret)
    if key is None:
        raise _refused("NOT_AUTHENTICATED", "Invalid or revoked publishable key.")
    origin = (environ or {}).get("HTTP_ORIGIN")
    if (
        origin
        and origin not in _own_origins(environ)
        and not origin_allowed(origin, tenant_id=key.tenant_id)
    ):
        raise _refused(
            "ORIGIN_NOT_ALLOWED",
            "This key is not accepted from this origin: its tenant must declare it.",
        )
    return str(key.pk)


_lookups = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="origins")


def socket_origin_allowed(origin, environ=None) -> bool:
    """engine.io's CORS check (called on the event loop): the page's own host, the
    environment's origins, or an origin a tenant declared (cached; on a miss the one query
    runs off the loop, as Django requires)."""
    if not origin:
        return True
    configured = [*settings.RELAIS_SOCKETIO_CORS_ORIGINS, *settings.RELAIS_CORS_ALLOWED_ORIGINS]
    if "*" in configured or origin in configured:
        return True
    if origin in _own_origins(environ):
        return True
    return _lookups.submit(origin_allowed, origin).result(timeout=5)


def documents_push(tenant_id: str, payload: dict) -> None:
    """`document.updated` to every key of the tenant that reads the document (after commit)."""
    body = {
        "name": payload["name"],
        "version": payload["version"],
        "previousVersion": payload["previousVersion"],
        "changed": payload["changed"],
    }
    for key_id in publishable_keys_reading(tenant_id=tenant_id, name=payload["name"]):
        emit_to_room("document.updated", body, key_room(key_id))


def key_revoked(key_id: str) -> None:
    close_room(key_room(key_id))
