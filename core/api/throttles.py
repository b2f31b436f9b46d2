"""Throttles of the API: a moving window per client (core/ratelimit.py), so at most the rate
passes in any interval of the period, whatever the concurrency and wherever the clock
stands; on Redis one script per request, in this process's memory without Redis or while it
fails. Retry-After is the time until the window lets a request through again.

Subclasses choose whom they count by overriding `get_cache_key` (None: not throttled).

Who is counted: a node by what names it (its device; a view may name it otherwise, e.g.
the session of a status report sent with a license key alone; else its license and
address), anyone else by address. Every address is core.client_ip's (RELAIS_TRUSTED_PROXIES).

Failed authentications are counted apart, per address (`auth_failures_guard` /
`auth_failure_record`): a route taking a key or token checks that counter before it looks
the credential up, so guessing keys costs the guesser a 429, not the database a query. Past
the limit a credential that authenticated lately (`auth_success_record`: a keyed digest
kept RELAIS_KNOWN_CREDENTIAL_TTL in the cache, never the credential) is still looked up
and verified as always: one device guessing wrong does not lock out the installations that
share its address (a NAT). Any other credential gets the 429 after one cache read.
"""

import hashlib
import hmac
import logging
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from ..client_ip import client_ip
from ..ratelimit import rate_forget, rate_hit, rate_parse, rate_window

logger = logging.getLogger(__name__)


class MovingWindowThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's interface (rate, scope, `get_cache_key`, `wait`) over a moving
    window, and core.client_ip's address."""

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        rate = rate_parse(self.rate)
        if rate_hit(rate, self.key):
            return True
        self.retry_at = rate_window(rate, self.key).retry_at
        return False

    def wait(self):
        return max(1, math.ceil(self.retry_at - time.time()))


class ScopedThrottle(ScopedRateThrottle, MovingWindowThrottle):
    """DRF's scoped throttle (a view's `throttle_scope`; per user, else per address), with
    rates read from RELAIS_THROTTLE_RATES at request time and the moving window above."""

    def get_rate(self):
        return settings.RELAIS_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        user = request.user
        if not getattr(user, "is_node", False):
            return super().get_cache_key(request, view)
        if user.device is not None:
            ident = f"device:{user.device.pk}"
        else:
            named = getattr(view, "throttle_ident", None)
            ident = named(request) if named else None
            ident = ident or f"license:{user.license.pk}:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressThrottle(ScopedThrottle):
    """Per client address whoever the caller is (routes taking credentials in the body)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountThrottle(MovingWindowThrottle):
    """Per account named in the body (`view.throttle_account_field`, e.g. an email), so
    guessing one account's password from many addresses is bounded too. Scope
    `<view.throttle_scope>_account`; a body without the field is not counted here."""

    def allow_request(self, request, view):
        self.scope = f"{view.throttle_scope}_account"
        self.rate = settings.RELAIS_THROTTLE_RATES.get(self.scope)
        return super().allow_request(request, view)

    def get_rate(self):
        return None  # read per request in allow_request (the scope comes from the view)

    def get_cache_key(self, request, view):
        value = (
            request.data.get(view.throttle_account_field) if hasattr(request.data, "get") else None
        )
        if not isinstance(value, str) or not value.strip():
            return None
        ident = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


# --- Failed authentications per address --------------------------------------------------

# This process's memory, each bounded by MEMO_MAX (cleared whole when full):
# addresses it saw fail, until when it reads their block in the cache (only those pay a
# cache read in the guard: a node that authenticates costs nothing more; a guesser spread
# over several processes gets at most one more try through each);
_suspects: dict[str, float] = {}
# until when those addresses are blocked, as this process last saw it (when the cache fails);
_blocked: dict[str, float] = {}
# digests of credentials that authenticated here, and when they were written to the cache.
_known: dict[str, float] = {}
MEMO_MAX = 10_000
# A known credential's digest is written again after this long at most (the cache keeps it
# RELAIS_KNOWN_CREDENTIAL_TTL): one write per credential, process and hour.
KNOWN_REFRESH_SECONDS = 3600


def _remember(memo: dict, key: str, value: float) -> None:
    if key not in memo and len(memo) >= MEMO_MAX:
        memo.clear()
    memo[key] = value


@lru_cache(maxsize=4)
def _digest_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"relais.known-credential:" + secret_key.encode()).digest()


def credential_digest(credential: str) -> str:
    """A keyed digest of a credential (HMAC-SHA256 under a key derived from SECRET_KEY):
    what the cache knows of it."""
    return hmac.digest(_digest_key(settings.SECRET_KEY), credential.encode(), "sha256").hex()


def _block_cache_key(ident: str) -> str:
    return f"relais:authblock:{ident}"


def _known_cache_key(digest: str) -> str:
    return f"relais:known:{digest}"


def _known_here(digest: str, now: float) -> bool:
    written = _known.get(digest)
    return written is not None and now - written < settings.RELAIS_KNOWN_CREDENTIAL_TTL


def _suspect(ident: str, now: float) -> bool:
    until = _suspects.get(ident)
    if until is None:
        return False
    if until < now:
        _suspects.pop(ident, None)
        _blocked.pop(ident, None)
        return False
    return True


def auth_failures_guard(request, credential: str | None = None) -> None:
    """429 when the caller's address failed to authenticate too often in the last period,
    unless `credential` authenticated lately. Call it before looking a credential up: no
    query, and at most one cache read, only for an address this process saw fail."""
    if not settings.RELAIS_THROTTLE_AUTH_FAILURES:
        return
    ident = client_ip(request)
    now = time.time()
    if not _suspect(ident, now):
        return
    digest = credential_digest(credential) if credential else None
    if digest is not None and _known_here(digest, now):
        return
    keys = [_block_cache_key(ident)]
    if digest is not None:
        keys.append(_known_cache_key(digest))
    try:
        found = cache.get_many(keys)  # one round trip (MGET)
        blocked_until, known = found.get(keys[0]) or 0, digest is not None and keys[-1] in found
    except Exception:  # noqa: BLE001 - this process's own count decides
        logger.warning("authentication-failure guard: cache unavailable", exc_info=True)
        blocked_until, known = _blocked.get(ident, 0), False
    if known or blocked_until <= now:
        return
    raise Throttled(
        wait=max(1, math.ceil(blocked_until - now)),
        detail=_("Too many failed authentications from this address."),
    )


def auth_failure_record(request, credential: str | None = None) -> None:
    """Count one failed authentication against the caller's address. `credential`, when
    it is itself unknown (not merely refused), is forgotten: a revoked key does not keep
    its way past the guard."""
    rate = settings.RELAIS_THROTTLE_AUTH_FAILURES
    if not rate:
        return
    ident, limit, now = client_ip(request), rate_parse(rate), time.time()
    _remember(_suspects, ident, now + limit.period)
    key = f"authfail:{ident}"
    rate_hit(limit, key)
    window = rate_window(limit, key)
    try:
        if window.remaining <= 0:
            _remember(_blocked, ident, window.retry_at)
            timeout = max(1, math.ceil(window.retry_at - now))
            cache.set(_block_cache_key(ident), window.retry_at, timeout=timeout)
        if credential:
            digest = credential_digest(credential)
            _known.pop(digest, None)
            cache.delete(_known_cache_key(digest))
    except Exception:  # noqa: BLE001
        logger.warning("authentication failure: cache unavailable", exc_info=True)


def auth_success_record(credential: str) -> None:
    """Remember that `credential` authenticated (its digest, for the guard). Costs no cache
    write while this process wrote it within KNOWN_REFRESH_SECONDS."""
    if not settings.RELAIS_THROTTLE_AUTH_FAILURES:
        return
    digest, now = credential_digest(credential), time.time()
    written = _known.get(digest)
    ttl = settings.RELAIS_KNOWN_CREDENTIAL_TTL
    if written is not None and now - written < min(KNOWN_REFRESH_SECONDS, ttl / 2):
        return
    _remember(_known, digest, now)
    try:
        cache.set(_known_cache_key(digest), 1, timeout=ttl)
    except Exception:  # noqa: BLE001 - known to this process only
        logger.warning("known credential not written: cache unavailable", exc_info=True)


def throttles_forget() -> None:
    """Forget this process's counts and memos (tests: with the cache cleared)."""
    rate_forget()
    _suspects.clear()
    _blocked.clear()
    _known.clear()
