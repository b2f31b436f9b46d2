"""Under ASGI (config.asgi, as the docker image serves it) database connections come from a
bounded pool per process: each ASGI request runs in a thread of its own, and persistent
connections opened one PostgreSQL connection per request until the database ran out."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the pool is psycopg's (PostgreSQL)"
    ),
]


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_concurrent_requests_share_the_pool_of_connections(asgi_server):
    url = asgi_server(DJANGO_DB_POOL_MAX_SIZE="3", DJANGO_DB_POOL_MIN_SIZE="1")
    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(
            pool.map(lambda _: requests.get(f"{url}/api/v1/health", timeout=30), range(96))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert all(answer.json()["checks"]["database"] == "ok" for answer in answers)
    assert 1 <= _server_connections() <= 3


def test_without_the_pool_each_concurrent_request_kept_a_connection(asgi_server):
    """What the pool fixes, measured: the same load with persistent connections."""
    url = asgi_server(DJANGO_DB_POOL="false", DJANGO_CONN_MAX_AGE="60")
    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(
            pool.map(lambda _: requests.get(f"{url}/api/v1/health", timeout=30), range(96))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert _server_connections() > 3
