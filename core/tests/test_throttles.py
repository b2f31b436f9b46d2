"""Throttles count every request exactly once, however many arrive at the same moment."""

import os
import threading

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from rest_framework.test import APIClient

from licensing.tests.factories import LicenseFactory

WRONG_KEY = "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"


def _hammer(threads: int, per_thread: int, call) -> list[int]:
    """`call(client)` from `threads` threads at once, one client each (the test client is
    not thread-safe); the status codes."""
    barrier = threading.Barrier(threads)
    statuses = []

    def worker():
        client = APIClient()
        try:
            barrier.wait()
            for _ in range(per_thread):
                statuses.append(call(client).status_code)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis, the production cache")
@pytest.mark.parametrize("threads", [10, 25])
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "20/hour", "node": "1000/min"})
@pytest.mark.usefixtures("one_throttle_window")
def test_at_most_the_limit_passes_whatever_the_concurrency(threads):
    cache.clear()
    statuses = _hammer(
        threads,
        4,
        lambda client: client.post("/api/v1/licenses/validate", {"key": WRONG_KEY}, format="json"),
    )
    assert len(statuses) == threads * 4
    assert statuses.count(200) == 20
    assert statuses.count(429) == threads * 4 - 20


@pytest.mark.django_db
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "2/min", "node": "1000/min"})
def test_retry_after_says_when_the_window_closes(api_client, monkeypatch):
    from core.api.throttles import FixedWindowRateThrottle

    monkeypatch.setattr(FixedWindowRateThrottle, "timer", staticmethod(lambda: 6_000_017.5))
    license = LicenseFactory()
    for _ in range(2):
        api_client.post("/api/v1/licenses/validate", {"key": license.key}, format="json")
    response = api_client.post("/api/v1/licenses/validate", {"key": license.key}, format="json")
    assert response.status_code == 429 and response.json()["code"] == "THROTTLED"
    assert response["Retry-After"] == "43"  # the minute ends 42.5 s later


@pytest.mark.django_db
@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "2/min", "node": "1000/min"})
def test_a_counter_that_lost_its_expiry_gets_one_back(api_client, monkeypatch):
    """The window's key expired between the backend's existence check and its increment,
    which recreated it without a timeout: the throttle gives it one again."""
    from core.api.throttles import FixedWindowRateThrottle

    touched = []
    monkeypatch.setattr(cache, "add", lambda *a, **k: False)
    monkeypatch.setattr(cache, "incr", lambda key, delta=1: 1)
    monkeypatch.setattr(cache, "touch", lambda key, timeout: touched.append((key, timeout)))
    throttle = FixedWindowRateThrottle.__new__(FixedWindowRateThrottle)
    throttle.duration, throttle.now = 60, 0.0
    assert throttle._count("throttle_x:0") == 1
    assert touched == [("throttle_x:0", 60)]
