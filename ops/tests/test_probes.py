"""Liveness answers whatever the services; readiness names the service that failed, on time."""

import socket
import threading
import time

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_live_checks_nothing_external(api_client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.ProcessRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = api_client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_everything_answers(api_client):
    response = api_client.get("/api/v1/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok"},
    }


def test_not_ready_names_what_failed(api_client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.ProcessRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = api_client.get("/api/v1/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "NOT_READY"
    assert body["failed"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error: ")


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_service_that_hangs_fails_readiness_on_time(api_client, settings, silent_server):
    settings.RELAIS_READY_TIMEOUT = 0.5
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ProcessRedisCache",
            "LOCATION": f"redis://127.0.0.1:{silent_server}/0",
            "OPTIONS": {"socket_connect_timeout": 30, "socket_timeout": 30},
        }
    }
    started = time.monotonic()
    response = api_client.get("/api/v1/health/ready")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error: timeout"
    assert response.json()["failed"] == ["cache"]


def test_the_old_health_route_still_answers(api_client):
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_compose_healthchecks_use_the_probes():
    import re
    from pathlib import Path

    import yaml
    from django.urls import resolve

    from ops.api.views import LiveView, ReadyView

    compose = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "docker/compose.yml").read_text()
    )
    probes = {}
    for name in ("web", "realtime"):
        command = compose["services"][name]["healthcheck"]["test"][-1]
        path = re.search(r"http://127\.0\.0\.1:\d+(/[^']*)", command).group(1)
        probes[name] = resolve(path)
    assert probes["web"].func.view_class is ReadyView
    assert probes["realtime"].func.view_class is LiveView
