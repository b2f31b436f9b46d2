"""What the project reads of its cache beyond Django's API."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def redis_client():
    """The raw Redis client behind the default cache, or None for another backend (the
    embedded file cache, locmem in tests). `django.core.cache.cache` is a proxy: the
    backend itself is `caches["default"]`."""
    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None
