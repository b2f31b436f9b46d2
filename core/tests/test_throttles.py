"""Throttles count every request exactly once, however many arrive at the same moment, and
no interval of the period lets more than the rate through, wherever the clock stands."""

import math
import os
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from rest_framework.test import APIClient

from licensing.tests.factories import LicenseFactory

WRONG_KEY = "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"
VALIDATE = "/api/v1/licenses/validate"
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis, the production cache"
)


def _validate(client):
    return client.post(VALIDATE, {"key": WRONG_KEY}, format="json")


def _hammer(threads: int, call, per_thread: int | None = None, until: float | None = None):
    """`call(client)` from `threads` threads at once, one client each (the test client is
    not thread-safe), `per_thread` times or until the clock reads `until`; (start, end,
    status) of every request."""
    barrier = threading.Barrier(threads)
    results = []

    def worker():
        client = APIClient()
        try:
            barrier.wait()
            sent = 0
            while (per_thread is None or sent < per_thread) and (
                until is None or time.time() < until
            ):
                start = time.time()
                status = call(client).status_code
                results.append((start, time.time(), status))
                sent += 1
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@needs_redis
@pytest.mark.parametrize("threads", [10, 25])
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "20/hour", "node": "1000/min"})
def test_at_most_the_limit_passes_whatever_the_concurrency(threads):
    cache.clear()
    statuses = [status for _start, _end, status in _hammer(threads, _validate, per_thread=4)]
    assert len(statuses) == threads * 4
    assert statuses.count(200) == 20
    assert statuses.count(429) == threads * 4 - 20


@pytest.mark.django_db(transaction=True)
@needs_redis
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "10/s", "node": "1000/min"})
def test_no_interval_of_the_period_lets_more_than_the_limit_through():
    """Requests in flight from 0.4 s before a whole second to 0.4 s after: fixed windows
    (`now // period`) let the rate through on each side of the boundary, twice the rate in
    0.8 s. A request passed somewhere between its start and its end: no more than the rate
    may have both within any one second."""
    cache.clear()
    boundary = math.floor(time.time()) + 2
    time.sleep(boundary - 0.4 - time.time())
    results = _hammer(10, _validate, until=boundary + 0.4)
    passed = sorted((start, end) for start, end, status in results if status == 200)
    assert len(results) > 40 and {status for *_times, status in results} == {200, 429}
    for first, _end in passed:
        within = [1 for start, end in passed if start >= first and end <= first + 1.0]
        assert len(within) <= 10, f"{len(within)} passed within one second"


@pytest.mark.django_db
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "2/min", "node": "1000/min"})
def test_retry_after_says_when_the_oldest_request_leaves_the_window(api_client):
    license = LicenseFactory()
    for _ in range(2):
        api_client.post(VALIDATE, {"key": license.key}, format="json")
    response = api_client.post(VALIDATE, {"key": license.key}, format="json")
    assert response.status_code == 429 and response.json()["code"] == "THROTTLED"
    assert 58 <= int(response["Retry-After"]) <= 60  # a minute after the first request


@pytest.mark.django_db
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "1/s", "node": "1000/min"})
def test_a_client_that_waits_retry_after_passes_again(api_client):
    """The window empties by itself, the period after the request it counted (the former
    fixed-window counters had to be given their expiry back when they lost it)."""
    assert _validate(api_client).status_code == 200
    refused = _validate(api_client)
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    time.sleep(1.05)
    assert _validate(api_client).status_code == 200


@pytest.mark.django_db
@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED}
    },
    RELAIS_THROTTLE_RATES={"license_validate": "3/min", "node": "1000/min"},
)
def test_with_the_cache_down_each_process_still_throttles(api_client, caplog):
    """Redis down: 150 wrong keys all answered before; now the rate holds in this process."""
    statuses = [_validate(api_client).status_code for _ in range(150)]
    assert statuses[:3] == [200, 200, 200] and statuses.count(429) == 147
    assert "cache unavailable" in caplog.text
    # Another client (address) has its own window there too.
    other = api_client.post(VALIDATE, {"key": WRONG_KEY}, format="json", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200
