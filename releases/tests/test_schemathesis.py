"""schemathesis over the management and node APIs, through the WSGI app, with all checks.

Each operation of /api/schema/ gets a bounded number of generated requests (valid and
invalid), authenticated the way the operation says: a platform superuser's API token on
the management API, a device token or the license key on node routes. A 500, an
undocumented status, a body off its schema, invalid input accepted, valid input refused
for its characters: the test fails.
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
from documents.models import SyncDocument
from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, UserFactory
from licensing.tests.tenancy import staff_of
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


# Synced documents are read as tenant staff (their own tenant, no `?tenant=` needed), so
# that generated requests reach the documents and their bodies are checked.
DOCUMENT_PATHS = ("/api/v1/sync/documents/", "/api/settings", "/api/team", "/api/services")
DOCUMENT_PATHS += ("/api/solutions",)


def _resolve(schema, root):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _free_form(schema, root, seen=()) -> bool:
    """Whether `schema` holds a free-form JSON value (an untyped value, or an object taking
    keys it does not name: serializers other than StrictSerializer ignore unknown fields),
    whose keys OpenAPI 3.0 has no way to constrain (no `propertyNames`)."""
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or id(schema) in seen:
        return False
    seen = (*seen, id(schema))
    parts = [*schema.get("oneOf", []), *schema.get("anyOf", []), *schema.get("allOf", [])]
    if not parts and "type" not in schema and "enum" not in schema:
        return True
    if schema.get("type") == "object" and schema.get("additionalProperties", True) is not False:
        return True
    parts += [*schema.get("properties", {}).values(), schema.get("items")]
    return any(_free_form(part, root, seen) for part in parts if part is not None)


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
    return loaded, raw


# Loaded at collection, through Django (the schema view touches no database).
# `schemathesis.pytest.from_fixture` would load it per test, but its lazy loader does not
# run under pytest 9 (it reads `request.node._nodeid`).
schema, RAW = _load_schema()


@schemathesis.check
def characters_refused_as_the_schema_says(ctx, response, case):
    """Valid input is never refused for its characters: every string the schema lets a
    client send says, with a `pattern`, which characters core.text refuses. Exclusion:
    bodies holding free-form JSON (synced documents' data, seed 004's documents), whose
    nested strings and keys OpenAPI 3.0 cannot constrain (no `propertyNames`)."""
    if not case.meta or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    if response.json().get("code") != "INVALID_CHARACTERS":
        return None
    body = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    if case.body is not None and any(
        _free_form(media.get("schema", {}), RAW) for media in body.values()
    ):
        return None
    raise AssertionError("Schema-valid input refused INVALID_CHARACTERS: a pattern is missing")


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
    staff = staff_of(license.tenant, SyncDocument)
    yield {
        "apiToken": api_token_create(user=admin).token,
        "staffToken": api_token_create(user=staff).token,
        "deviceToken": device.token,
        "licenseKey": license.key,
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _credentials(case, fleet) -> dict:
    if case.meta and any(
        location.value == "header" and info.mode.is_negative
        for location, info in case.meta.components.items()
    ):
        return {}  # the case tests a malformed Authorization header: send it as generated
    security = case.operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    if case.operation.path == "/api/v1/updates/register-device":
        schemes = {"licenseKey"}  # the view checks the bearer key itself
    if case.operation.path.startswith(DOCUMENT_PATHS):
        schemes = {"staffToken"}
    for scheme in ("staffToken", "apiToken", "deviceToken", "licenseKey"):
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
