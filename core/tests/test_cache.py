"""One Redis client, and so one connection pool, per process: Django keeps a cache backend
per thread and per request context, and each new backend used to open its own connection.
Connections are counted from the Redis server's side (`CLIENT LIST`), by a client name
each test gives its caches."""

import contextvars
import os
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from core.cache import ProcessRedisCache, redis_client

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis, the production cache")


def _client_name() -> str:
    return f"relais-test-{uuid.uuid4().hex[:12]}"


def _connections(name: str) -> int:
    """How many connections the server holds from clients named `name`."""
    with redis.Redis.from_url(REDIS_URL) as admin:
        return sum(1 for client in admin.client_list() if client["name"] == name)


def _other_database() -> str:
    parts = urlsplit(REDIS_URL)
    current = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{current ^ 1}").geturl()


def test_backends_of_one_location_share_one_connection():
    name = _client_name()
    named = {"OPTIONS": {"client_name": name}}
    first, second = ProcessRedisCache(REDIS_URL, named), ProcessRedisCache(REDIS_URL, named)
    first.set("relais-test-shared", 1, 5)
    assert second.get("relais-test-shared") == 1
    assert _connections(name) == 1
    # Another database, other options: a client and a connection of their own.
    ProcessRedisCache(_other_database(), named).get("relais-test-shared")
    timeout = {"OPTIONS": {"client_name": name, "socket_timeout": 2.5}}
    ProcessRedisCache(REDIS_URL, timeout).get("relais-test-shared")
    assert _connections(name) == 3


def test_djangos_own_backends_each_open_a_connection():
    """What the counting above would see without ProcessRedisCache: Django's RedisCache opens
    a connection per backend."""
    name = _client_name()
    named = {"OPTIONS": {"client_name": name}}
    RedisCache(REDIS_URL, named).set("relais-test-shared", 1, 5)
    RedisCache(REDIS_URL, named).get("relais-test-shared")
    assert _connections(name) == 2


def test_each_request_context_and_thread_uses_the_same_connection(settings):
    name = _client_name()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ProcessRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"client_name": name},
        }
    }
    backends = []

    def request():
        backend = caches["default"]
        backend.set("relais-test-shared", 1, 5)  # a round trip: a connection is needed
        redis_client().ping()  # the raw client the hot paths use
        backends.append(backend)

    for _ in range(3):  # as a2wsgi and Django's ASGI handler run each request
        contextvars.Context().run(request)
    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert len({id(backend) for backend in backends}) == 4  # Django's: one per context
    assert _connections(name) == 1  # one at a time: one connection, kept
