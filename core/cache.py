"""What the project reads of its cache beyond Django's API."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def redis_client():
    """The raw Redis client behind the default cache, or None for another backend (the
    embedded file cache, locmem in tests). `django.core.cache.cache` is a proxy: the
    backend itself is `caches["default"]`.

    Django's RedisCache builds a new `redis.Redis` around its connection pool for every
    operation, and building one (its table of response callbacks) cost more than the
    round trip on the hot path (bench/README.md): the client is built once per pool and
    kept on it (a client is thread-safe). Django's cache backends, and so their pools, live
    per thread under WSGI, and per request context under ASGI, where this saves nothing
    but costs nothing either."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    cache_client = backend._cache
    pool = cache_client._get_connection_pool(write=True)
    client = getattr(pool, "relais_client", None)
    if client is None:
        client = pool.relais_client = cache_client._client(connection_pool=pool)
    return client
