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
        ("/api/v1/manage/licenses/{id}/", "get", {400, 401, 403, 404}),
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


def test_every_operation_documents_the_400_of_control_characters(schema):
    # core.middleware refuses a control character in any path or query parameter.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    "path, name", [("/api/v1/keys/{kid}", "kid"), ("/api/v1/manage/devices/", "hardware_id")]
)
def test_path_and_query_strings_declare_the_characters_they_refuse(schema, path, name):
    import re

    params = schema["paths"][path]["get"]["parameters"]
    pattern = re.compile(next(p for p in params if p["name"] == name)["schema"]["pattern"])
    assert pattern.match("rk-2026 é") and not pattern.match("a\tb")
    assert not pattern.match("a\x00b") and not pattern.match("a\x85b")


def test_body_text_declares_the_characters_it_refuses(schema):
    import re

    components = schema["components"]["schemas"]
    notes = re.compile(components["ReleaseUpdateInputRequest"]["properties"]["notes"]["pattern"])
    assert notes.match("- Fixed\n\t- Faster") and not notes.match("a\x1bb")
    key = re.compile(components["ValidateInputRequest"]["properties"]["key"]["pattern"])
    assert not key.match("a\nb") and not key.match("a\x7fb")
    # Responses say nothing of input characters (a release's notes hold line breaks).
    assert "pattern" not in components["Release"]["properties"]["notes"]


@pytest.mark.parametrize(
    "path, shape", [("/api/settings", "object"), ("/api/team", "array"), ("/api/services", "array")]
)
def test_seed_documents_have_their_shape(schema, path, shape):
    get, put = schema["paths"][path]["get"], schema["paths"][path]["put"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"]["type"] == shape
    assert put["requestBody"]["content"]["application/json"]["schema"]["type"] == shape
    stale = put["responses"]["412"]["content"]["application/json"]["schema"]
    assert stale["properties"]["data"]["type"] == shape


def test_the_body_limit_answers_the_code_the_schema_and_readme_name(schema, settings):
    """One body limit, one code: what the API answers is what the schema and the docs say."""
    from pathlib import Path

    from rest_framework.test import APIClient

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    for fmt in ("json", "multipart"):
        answer = APIClient().post("/api/v1/licenses/validate", {"key": "A" * 500}, format=fmt)
        assert answer.status_code == 413
        code = answer.json()["code"]
        responses = schema["paths"]["/api/v1/licenses/validate"]["post"]["responses"]
        assert f"`{code}`" in responses["413"]["description"]
    # The contract moved from the README into the documentation site (docs/).
    root = Path(__file__).resolve().parents[2]
    docs = "".join(page.read_text() for page in sorted((root / "docs").rglob("*.md")))
    readme = (root / "README.md").read_text()
    assert f"413 `{code}`" in docs and "REQUEST_TOO_LARGE" not in docs + readme
