"""Throttles of the API: a fixed-window counter per client in the shared cache.

DRF's SimpleRateThrottle reads a history list, appends to it and writes it back: requests
in flight at the same moment all read the same history, and most of them pass. Here each
request is one atomic increment of its window's counter (Redis INCR; locmem increments
under a lock; the embedded file cache is not atomic, and serves one machine), so at most
`num_requests` pass per window whatever the concurrency. Windows are aligned on the clock
(`now // period`), so a counter's expiry only cleans up; a client may send up to twice the
rate across the end of one window and the start of the next.

Subclasses choose whom they count by overriding `get_cache_key` (None: not throttled).

Who is counted: a node by what names it (its device; a view may name it otherwise, e.g.
the session of a status report sent with a license key alone; else its license and
address), anyone else as DRF does. Failed authentications are counted apart, per address
(`auth_failures_guard` / `auth_failure_record`): a route taking a key or token checks that
counter before it looks the credential up, so guessing keys costs the guesser a 429, not
the database a query. The cache being down never fails a request: the throttles then let
it through (logged).
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from redis.exceptions import ResponseError as RedisResponseError
from rest_framework.exceptions import Throttled
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from ..cache import redis_client
from ..client_ip import client_ip

logger = logging.getLogger(__name__)


class FixedWindowRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's interface (rate, scope, `get_cache_key`, `wait`) over an atomic
    counter instead of a history list, and core.client_ip's address."""

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        if getattr(getattr(request, "_request", request), "relais_counted", None) == self.key:
            return True  # counted by the lean path (node_throttle_count), which stepped aside
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return self._count(f"{self.key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """This request's number in the window counted under `key`."""
        if self.cache.add(key, 1, self.duration):
            return 1
        try:
            count = self.cache.incr(key)
        except ValueError:  # the counter expired between add() and incr()
            count = 1 if self.cache.add(key, 1, self.duration) else self.cache.incr(key)
        if count == 1:
            # The key vanished between the backend's existence check and its INCR, which
            # then created it without an expiry: give it one, or it is never cleaned up.
            self.cache.touch(key, self.duration)
        return count

    def wait(self):
        return max(1, self.window_ends - self.now)


class ScopedThrottle(ScopedRateThrottle, FixedWindowRateThrottle):
    """DRF's scoped throttle (a view's `throttle_scope`; per user, else per address), with
    rates read from RELAIS_THROTTLE_RATES at request time and the atomic counter above."""

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

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - no cache, no throttling: the request goes on
            logger.warning("throttle %s skipped: cache unavailable", self.scope, exc_info=True)
            return True


def node_throttle_count(request, ident: str) -> bool:
    """The lean path's count of one node request in the bucket ScopedThrottle uses for the
    `node` scope and `ident` ("device:<id>"): True when it passes. On Redis, one command
    (COUNT_SCRIPT); on another cache, ScopedThrottle's own add/incr. A counted request is
    marked, so that the full stack does not count it again if the lean
    path steps aside; a refused one is not, so the full stack counts it and answers the 429.
    The cache being down lets the request through, as the throttles do."""
    rate = settings.RELAIS_THROTTLE_RATES.get("node")
    if rate is None:
        return True
    limit, duration = _parse_rate(rate)
    key = ScopedThrottle.cache_format % {"scope": "node", "ident": ident}
    window_key = f"{key}:{int(FixedWindowRateThrottle.timer() // duration)}"
    try:
        client = redis_client()
        count = None
        if client is not None:
            try:
                count = _redis_count(client, cache.make_and_validate_key(window_key), duration)
            except RedisResponseError:  # scripting refused (ACL, proxy): count as the others
                logger.warning("throttle node: Redis refused the script", exc_info=True)
        if count is None:
            throttle = FixedWindowRateThrottle.__new__(FixedWindowRateThrottle)
            throttle.duration = duration
            count = throttle._count(window_key)
    except Exception:  # noqa: BLE001
        logger.warning("throttle node skipped: cache unavailable", exc_info=True)
        return True
    if count > limit:
        return False
    request.relais_counted = key
    return True


# INCR, and the window's expiry on its first request: atomic, one round trip (EVALSHA).
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_count_script = None
_rates: dict[str, tuple[int, int]] = {}


def _redis_count(client, key: str, duration: int) -> int:
    global _count_script
    if _count_script is None:
        _count_script = client.register_script(COUNT_SCRIPT)
    return _count_script(keys=[key], args=[duration], client=client)


def _parse_rate(rate: str) -> tuple[int, int]:
    parsed = _rates.get(rate)
    if parsed is None:
        parsed = _rates[rate] = SimpleRateThrottle.parse_rate(None, rate)
    return parsed


# --- Failed authentications per address --------------------------------------------------


class _Address(SimpleRateThrottle):
    """Only for DRF's reading of a rate, and core.client_ip's address."""

    rate = "1/s"

    def get_ident(self, request):
        return client_ip(request)


def _window(request) -> tuple[str, int, int]:
    """(cache key, limit, seconds left in the window) of the caller's address."""
    address = _Address()
    limit, duration = address.parse_rate(settings.RELAIS_THROTTLE_AUTH_FAILURES)
    now = time.time()
    window = int(now // duration)
    ident = address.get_ident(request)
    left = int((window + 1) * duration - now) + 1
    return f"relais:authfail:{ident}:{window}", limit, left


# Addresses this process has seen fail, with the end of their window: only those pay a
# cache read in the guard, so a node that authenticates costs nothing more. A guesser
# spread over several processes gets at most one more try through each, per window.
_suspects: dict[str, float] = {}
SUSPECTS_MAX = 10_000


def auth_failures_guard(request) -> None:
    """429 when the caller's address has failed to authenticate too often this window.
    Call it before looking a credential up: no query, and a cache read only for an address
    this process saw fail."""
    if not settings.RELAIS_THROTTLE_AUTH_FAILURES:
        return
    ident = _Address().get_ident(request)
    until = _suspects.get(ident)
    if until is None:
        return
    if until < time.time():
        _suspects.pop(ident, None)
        return
    try:
        key, limit, left = _window(request)
        failures = cache.get(key, 0)
    except Exception:  # noqa: BLE001
        logger.warning("authentication-failure guard skipped: cache unavailable", exc_info=True)
        return
    if failures >= limit:
        raise Throttled(wait=left, detail=_("Too many failed authentications from this address."))


def auth_failures_suspect(request) -> bool:
    """Whether this process saw the caller's address fail to authenticate in the current
    window (no cache read): the lean path then leaves the request to the full stack."""
    if not settings.RELAIS_THROTTLE_AUTH_FAILURES or not _suspects:
        return False
    until = _suspects.get(_Address().get_ident(request))
    return until is not None and until >= time.time()


def auth_failure_record(request) -> None:
    """Count one failed authentication (unknown key or token) against the caller's address."""
    if not settings.RELAIS_THROTTLE_AUTH_FAILURES:
        return
    try:
        key, _limit, left = _window(request)
        if len(_suspects) >= SUSPECTS_MAX:
            _suspects.clear()
        _suspects[_Address().get_ident(request)] = time.time() + left
        cache.add(key, 0, timeout=left + 1)
        cache.incr(key)
    except ValueError:  # expired between add and incr
        pass
    except Exception:  # noqa: BLE001
        logger.warning("authentication failure not counted: cache unavailable", exc_info=True)


class AddressThrottle(ScopedThrottle):
    """Per client address whoever the caller is (routes taking credentials in the body)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountThrottle(FixedWindowRateThrottle):
    """Per account named in the body (`view.throttle_account_field`, e.g. an email), so
    guessing one account's password from many addresses is bounded too. Scope
    `<view.throttle_scope>_account`; a body without the field is not counted here."""

    def allow_request(self, request, view):
        self.scope = f"{view.throttle_scope}_account"
        self.rate = settings.RELAIS_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - no cache, no throttling: the request goes on
            logger.warning("throttle %s skipped: cache unavailable", self.scope, exc_info=True)
            return True

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
