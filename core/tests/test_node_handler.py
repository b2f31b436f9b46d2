"""The node hot routes are served by the same views with a shorter middleware list
(core.handlers, RELAIS_NODE_ROUTES): same answers and errors, without the layers they do
not use; every other route keeps settings.MIDDLEWARE."""

import io
import json
import sys

import pytest
from django.conf import settings
from django.urls import resolve

from core.api.views import NodeView
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db(transaction=True)


def _wsgi(path, query="", token="", method="GET", body=b""):
    """(status, headers, body) of one request to the project's WSGI application."""
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], content


def test_every_node_route_is_a_node_view():
    for path in settings.RELAIS_NODE_ROUTES:
        assert issubclass(resolve(path).func.view_class, NodeView), path


@pytest.fixture
def device():
    product = ProductFactory()
    published_release(product=product, version="1.1.0")
    return DeviceFactory(license__policy__product=product, app_version="1.0.0")


def test_a_check_answers_as_through_the_full_stack(client, device):
    status, headers, content = _wsgi("/api/v1/updates/check", "version=1.0.0", device.token)
    full = client.get(
        "/api/v1/updates/check", {"version": "1.0.0"}, HTTP_AUTHORIZATION=f"Bearer {device.token}"
    )
    assert status == full.status_code == 200
    assert json.loads(content) == full.json()
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Language"] and "Accept-Language" in headers["Vary"]
    # The layers the node routes do without: no session cookie, no clickjacking header...
    assert "Set-Cookie" not in headers and "X-Frame-Options" not in headers
    # ...which every other route still gets.
    assert _wsgi("/api/v1/health")[1].get("X-Frame-Options") == "DENY"


@pytest.mark.parametrize(
    ("path", "query", "token", "status", "code"),
    [
        ("/api/v1/updates/check", "version=1.0.0", "dvt_" + "x" * 40, 403, "DEVICE_NOT_ACTIVATED"),
        ("/api/v1/ping", "", "", 401, "NOT_AUTHENTICATED"),
        ("/api/v1/ping", "x=%01", "", 400, "INVALID_CHARACTERS"),
    ],
)
def test_errors_are_the_api_errors(path, query, token, status, code):
    answer_status, _, content = _wsgi(path, query, token)
    assert (answer_status, json.loads(content)["code"]) == (status, code)


def test_reports_are_stored_through_the_short_list(device):
    report = json.dumps({"metrics": {"cpu": 12.5}, "uptime": 3600, "version": "1.0.0"})
    status, _, content = _wsgi(
        "/api/v1/telemetry", token=device.token, method="POST", body=report.encode()
    )
    assert status == 201 and json.loads(content)["accepted"] == 1
