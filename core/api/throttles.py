"""Throttles of the API: a fixed-window counter per client in the shared cache.

DRF's SimpleRateThrottle reads a history list, appends to it and writes it back: requests
in flight at the same moment all read the same history, and most of them pass. Here each
request is one atomic increment of its window's counter (Redis INCR; locmem increments
under a lock; the embedded file cache is not atomic, and serves one machine), so at most
`num_requests` pass per window whatever the concurrency. Windows are aligned on the clock
(`now // period`), so a counter's expiry only cleans up; a client may send up to twice the
rate across the end of one window and the start of the next.

Subclasses choose whom they count by overriding `get_cache_key` (None: not throttled).
"""

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle


class FixedWindowRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's interface (rate, scope, `get_cache_key`, `wait`) over an atomic
    counter instead of a history list."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
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
