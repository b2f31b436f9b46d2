"""The OpenAPI schema documents each operation's error responses (core.api.schema)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client(HTTP_HOST="localhost").get("/api/schema/?format=json").json()


def _errors(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    return {
        int(code): r["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for code, r in responses.items()
        if int(code) >= 400
    }


def test_error_components(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message"]
    assert set(error["properties"]) == {"code", "message", "errors"}
    assert "statusCode" in schema["components"]["schemas"]["StatusCodeError"]["required"]


@pytest.mark.parametrize(
    "path, method, statuses",
    [
        ("/api/v1/manage/licenses/", "get", {400, 401, 403}),
        ("/api/v1/manage/licenses/", "post", {400, 401, 403, 409, 413, 415}),
        ("/api/v1/manage/licenses/{id}/", "get", {401, 403, 404}),
        ("/api/v1/manage/artifacts/{id}/", "delete", {400, 401, 403, 404, 409}),
        ("/api/v1/licenses/validate", "post", {400, 404, 413, 415, 429}),
        ("/api/v1/updates/check", "get", {400, 401, 403, 404, 429}),
        ("/api/v1/updates/register-device", "post", {400, 401, 403, 404, 409, 413, 415, 429}),
    ],
)
def test_operations_document_their_errors(schema, path, method, statuses):
    errors = _errors(schema, path, method)
    assert set(errors) == statuses
    assert set(errors.values()) == {"Error"}


def test_switchable_seed_routes_document_their_404(schema):
    assert 404 in _errors(schema, "/api/settings", "get")


def test_dialect_errors_have_the_seeds_shape(schema):
    errors = _errors(schema, "/update/download/{update_id}", "get")
    assert {400, 404, 429} <= set(errors) and set(errors.values()) == {"StatusCodeError"}


def test_empty_optional_query_parameters_are_documented_as_absent(schema):
    params = schema["paths"]["/api/v1/manage/devices/"]["get"]["parameters"]
    status = next(p for p in params if p["name"] == "status")
    assert status["allowEmptyValue"] is True
