"""Rate limits in a moving window, the one algorithm of every throttle (core/api/throttles.py).

A key's window is the times of the requests it let through in the last `period` seconds (at
most `limit` of them): a request passes while fewer than `limit` did, so no interval of
`period` seconds ever lets more through. Fixed windows (`now // period`) let up to twice the
limit through across their boundary. The implementation is the `limits` library's moving
window (its storages' `acquire_entry` / `get_moving_window`, which MovingWindowRateLimiter
wraps; called directly so that a key's window does not depend on the rate it is counted at).

Where the windows live: in Redis when the default cache is Redis, one Lua script per
request (EVALSHA: one round trip, atomic whatever the concurrency, shared by every process);
otherwise in this process's memory (the embedded default runs one process). When Redis
fails, this process counts in its memory for RETRY_SECONDS before it tries Redis again
(logged each time): the limits hold per process instead of falling away.
"""

import logging
import threading
import time
from functools import lru_cache
from typing import NamedTuple

from limits.storage import MemoryStorage, RedisStorage
from rest_framework.throttling import SimpleRateThrottle

from .cache import redis_client

logger = logging.getLogger(__name__)

KEY_PREFIX = "relais:limit"
RETRY_SECONDS = 5.0


class Rate(NamedTuple):
    limit: int
    period: int  # seconds


class Window(NamedTuple):
    retry_at: float  # when a request passes again (now or earlier when one would pass now)
    remaining: int  # requests that would pass now


@lru_cache(maxsize=64)
def rate_parse(rate: str) -> Rate:
    """A rate as settings write it (DRF's `120/min`, `20/hour`...)."""
    # DRF's parser reads nothing of its throttle: one made without __init__ (which wants a
    # configured scope) is enough.
    limit, period = SimpleRateThrottle.__new__(SimpleRateThrottle).parse_rate(rate)
    assert limit is not None and period is not None  # only a rate of None parses to None
    return Rate(limit, period)


def rate_hit(rate: Rate, key: str) -> bool:
    """Count one request under `key`: True when it passes (a refused one is not counted).
    A key's window is the same whatever the rate it is counted at."""
    shared = _shared()
    if shared is not None:
        try:
            return shared.acquire_entry(key, rate.limit, rate.period)
        except Exception:  # noqa: BLE001 - counted in this process instead
            _failed(shared)
    return _local().acquire_entry(key, rate.limit, rate.period)


def rate_window(rate: Rate, key: str) -> Window:
    """What `key`'s window lets through now, and when it lets a request through again."""
    shared = _shared()
    if shared is not None:
        try:
            return _window(rate, *shared.get_moving_window(key, rate.limit, rate.period))
        except Exception:  # noqa: BLE001
            _failed(shared)
    return _window(rate, *_local().get_moving_window(key, rate.limit, rate.period))


def _window(rate: Rate, oldest: float, count: int) -> Window:
    remaining = max(0, rate.limit - count)
    return Window(oldest + rate.period if not remaining else time.time(), remaining)


def rate_forget() -> None:
    """Forget this process's windows and Redis outage (tests: with the cache cleared)."""
    with _lock:
        if _memory is not None:
            _memory.reset()
        _outages.clear()


_memory: MemoryStorage | None = None
_lock = threading.Lock()
_outages: dict[int, float] = {}  # id(storage) → when Redis is tried again


def _local() -> MemoryStorage:
    """This process's windows, made at first use (after a fork: none inherited)."""
    global _memory
    if _memory is None:
        with _lock:
            if _memory is None:
                _memory = MemoryStorage()
    return _memory


def _shared() -> RedisStorage | None:
    """The Redis windows on the default cache's connection pool (one storage per pool), or
    None: the cache is not Redis, or Redis failed less than RETRY_SECONDS ago."""
    client = redis_client()
    if client is None:
        return None
    pool = client.connection_pool
    storage = getattr(pool, "relais_limits", None)
    if storage is None:
        storage = pool.relais_limits = RedisStorage(
            "redis://", connection_pool=pool, key_prefix=KEY_PREFIX
        )
    retry_at = _outages.get(id(storage))
    if retry_at is not None:
        if retry_at > time.time():
            return None
        _outages.pop(id(storage), None)
    return storage


def _failed(storage: RedisStorage) -> None:
    if id(storage) not in _outages:
        logger.warning(
            "rate limits in this process's memory for %.0f s: cache unavailable (Redis failed)",
            RETRY_SECONDS,
            exc_info=True,
        )
    _outages[id(storage)] = time.time() + RETRY_SECONDS
