"""Under ASGI (config.asgi, as the docker image serves it) Django runs in a fixed pool of
threads that keep their database connections: Django's ASGI handler ran each request in a
thread of its own and opened a PostgreSQL connection per request until the database ran
out of them. With DJANGO_DB_POOL, a process's connections are bounded by the pool."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL's sessions"),
]


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _load(url) -> None:
    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(
            pool.map(lambda _: requests.get(f"{url}/api/v1/health", timeout=30), range(96))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert all(answer.json()["checks"]["database"] == "ok" for answer in answers)


def test_concurrent_requests_reuse_the_threads_connections(asgi_server):
    before = _server_connections()  # this process's other threads' (earlier tests)
    _load(asgi_server(RELAIS_WSGI_THREADS="4"))
    assert 1 <= _server_connections() - before <= 4


def test_the_pool_bounds_the_connections_below_the_threads(asgi_server):
    before = _server_connections()
    _load(asgi_server(DJANGO_DB_POOL="true", DJANGO_DB_POOL_MAX_SIZE="2", RELAIS_WSGI_THREADS="8"))
    assert 1 <= _server_connections() - before <= 2
