"""One Redis client, and so one connection pool, per process: Django keeps a cache backend
per thread and per request context, and each new backend used to open its own connection."""

import contextvars
import os
import threading

import pytest
from django.core.cache import caches

from core.cache import ProcessRedisCache, redis_client


def test_backends_of_one_location_share_a_client():
    first = ProcessRedisCache("redis://127.0.0.1:6399/3", {})
    second = ProcessRedisCache("redis://127.0.0.1:6399/3", {})
    other_db = ProcessRedisCache("redis://127.0.0.1:6399/4", {})
    other_options = ProcessRedisCache("redis://127.0.0.1:6399/3", {"OPTIONS": {"db": 5}})
    assert first._cache is second._cache
    assert other_db._cache is not first._cache and other_options._cache is not first._cache


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis, the production cache")
def test_each_request_context_and_thread_uses_the_same_connection_pool():
    seen = []
    pool = redis_client().connection_pool
    created = pool._created_connections

    def note():
        backend = caches["default"]
        backend.set("relais-test-shared", 1, 5)  # a round trip: a connection is made
        seen.append((backend, backend._cache, redis_client().connection_pool))

    for _ in range(3):  # as a2wsgi and Django's ASGI handler run each request
        contextvars.Context().run(note)
    thread = threading.Thread(target=note)
    thread.start()
    thread.join()
    assert len({id(backend) for backend, _, _ in seen}) == 4  # Django's: one per context
    assert len({id(client) for _, client, _ in seen}) == 1
    assert len({id(pool) for _, _, pool in seen}) == 1
    assert seen[0][2] is pool and pool._created_connections - created <= 1  # one at a time
