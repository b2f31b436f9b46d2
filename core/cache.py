"""The project's cache backend, and what it reads of the cache beyond Django's API."""

import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


def _kept_client(cache_client: RedisCacheClient, write: bool):
    """The `redis.Redis` around the pool `cache_client` uses, built once per pool and kept
    on it (a client is thread-safe). Django's RedisCacheClient builds a new one for every
    operation, and building one (its table of response callbacks) cost more than the round
    trip on the hot path (bench/README.md)."""
    # django-stubs leave out RedisCacheClient's private members, which Django has (5.2).
    pool = cache_client._get_connection_pool(write)  # type: ignore[attr-defined]
    client = getattr(pool, "relais_client", None)
    if client is None:
        client = pool.relais_client = cache_client._client(connection_pool=pool)  # type: ignore[attr-defined]
    return client


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client of a Redis cache, with one `redis.Redis` per pool (_kept_client)."""

    def get_client(self, key=None, *, write=False):
        return _kept_client(self, write)


class ProcessRedisCache(RedisCache):
    """Django's RedisCache with one client, and so one connection pool, per process.

    Django keeps a cache backend per thread and, under ASGI, per request context: each
    ASGI request (Django's handler, or WSGI in a2wsgi's threads, each request in a context
    of its own) built a new backend, a new pool and a new Redis connection, whose handshake
    was 44 % of a node route's time (bench/README.md). redis-py's pool is thread-safe and
    starts afresh in a forked child. Each operation reuses one `redis.Redis` per pool
    (KeptClientRedisCacheClient)."""

    _clients: dict = {}

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient

    _clients_lock = threading.Lock()

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._class(self._servers, **self._options)
        return client


def redis_client():
    """The raw Redis client behind the default cache, or None for another backend (the
    embedded file cache, locmem in tests). `django.core.cache.cache` is a proxy: the
    backend itself is `caches["default"]`.

    Django's RedisCache builds a new `redis.Redis` around its connection pool for every
    operation, and building one (its table of response callbacks) cost more than the
    round trip on the hot path (bench/README.md): the client is built once per pool and
    kept on it (a client is thread-safe); with ProcessRedisCache, once per process."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return _kept_client(backend._cache, write=True)
