"""On PostgreSQL, concurrent validations of one license lose no count."""

import threading

import pytest
from django.db import connection, connections

from licensing.codes import Code
from licensing.services import license_validate
from licensing.tests.factories import LicenseFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers"
    ),
]


def _run_concurrently(n, target):
    barrier = threading.Barrier(n)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_validations_lose_no_count():
    license = LicenseFactory(max_validations=None)
    results = _run_concurrently(40, lambda: license_validate(key=license.key).code)
    license.refresh_from_db()
    assert results.count(Code.VALID) == 40
    assert license.validation_count == 40


def test_concurrent_validations_never_pass_the_limit():
    license = LicenseFactory(max_validations=15)
    results = _run_concurrently(40, lambda: license_validate(key=license.key).code)
    license.refresh_from_db()
    assert results.count(Code.VALID) == 15
    assert results.count(Code.USAGE_LIMIT_EXCEEDED) == 25
    assert license.validation_count == 15
