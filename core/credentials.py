"""Node credentials kept per process, checked against a shared generation at every request.

A fleet authenticates on every poll with the same token or key, and the rows that
credential names (a device, its license, its tenant) change rarely. Each process keeps what
it found for a credential, with the generation number it read from the shared cache before
looking it up; a request reads the generation again (one cache GET) and uses what it kept
only when the number has not moved. Every change to a row that decides authentication
(suspend, revoke, rotate, expire, deactivate, move a device, turn a tenant off) bumps the
number after commit, through `credentials_changed`: the next request of any process looks
the credential up again, so each change takes effect at the next request, as before.

Who bumps: saving or deleting a Device, License or Tenant (signals connected by
`credentials_watch`, called by the apps owning those models), and every service that writes
them with a queryset UPDATE (no signal), which calls `credentials_changed` itself.

Safe by construction: a lookup stores its result under the generation it read before its
query; a change committed meanwhile moves the number past it, so that entry is never used.
Without the shared cache (down, or failing), nothing kept is used: every request looks its
credential up in the database, as it would with nothing kept. Entries older than
RELAIS_CREDENTIALS_KEPT_SECONDS are looked up again whatever the generation (a bound on
what a lost bump could cost); at most RELAIS_CREDENTIALS_KEPT_MAX are kept, the oldest
dropped first.
"""

import logging
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

GENERATION_KEY = "relais:credentials:generation"

# credential → (generation, monotonic time kept, value); oldest first.
_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


def credentials_generation() -> int | None:
    """The shared generation now, or None when the cache cannot say (nothing kept is used)."""
    try:
        return cache.get(GENERATION_KEY, 0)
    except Exception:  # noqa: BLE001 - every credential is looked up in the database
        logger.warning("credentials generation unread: looked up in the database", exc_info=True)
        return None


def credential_kept(credential, generation: int | None):
    """What this process kept for `credential` under `generation`, or None."""
    if generation is None:
        return None
    entry = _kept.get(credential)
    if entry is None or entry[0] != generation:
        return None
    if time.monotonic() - entry[1] > settings.RELAIS_CREDENTIALS_KEPT_SECONDS:
        return None
    return entry[2]


def credential_keep(credential, generation: int | None, value) -> None:
    """Keep `value` (not None, immutable: callers build fresh objects from it) for
    `credential`, as found under `generation` (read before the lookup)."""
    if generation is None or value is None:
        return
    with _lock:
        _kept.pop(credential, None)
        _kept[credential] = (generation, time.monotonic(), value)
        while len(_kept) > settings.RELAIS_CREDENTIALS_KEPT_MAX:
            _kept.popitem(last=False)


def _bump() -> None:
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # evicted between add and incr
            cache.set(GENERATION_KEY, 1, timeout=None)
    except Exception:  # noqa: BLE001 - entries age out; this process forgets its own now
        logger.warning("credentials generation not moved", exc_info=True)
    credentials_forget()


def credentials_forget() -> None:
    """Forget what this process kept (it looks every credential up again)."""
    with _lock:
        _kept.clear()


def credentials_changed(**_signal) -> None:
    """A row deciding authentication changed: this process forgets what it kept at once (its
    next request, in this transaction or after, reads the rows again), and once the change
    is committed every other process does too. Usable as a signal receiver."""
    credentials_forget()
    transaction.on_commit(_bump)


def credentials_watch(*models) -> None:
    """Bump the generation whenever one of `models` is saved or deleted."""
    for model in models:
        uid = f"relais-credentials-{model._meta.label}"
        post_save.connect(credentials_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(credentials_changed, sender=model, dispatch_uid=uid + "-delete")
