"""Fixtures shared by every app's tests."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from licensing.tests.factories import LicenseFactory, TenantFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def tenant(db):
    return TenantFactory()


@pytest.fixture
def license(db, tenant):
    return LicenseFactory(tenant=tenant)


@pytest.fixture
def platform_admin(db):
    return UserFactory(is_superuser=True, username="root")


@pytest.fixture
def platform_client(platform_admin):
    client = APIClient()
    client.force_authenticate(platform_admin)
    return client
