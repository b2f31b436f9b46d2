"""Oversized request lines and headers get JSON 414 / 431 from Django: gunicorn's own limits
(docker/gunicorn.conf.py) are set above Django's, and beyond them gunicorn answers itself, in
JSON too (the proxy in front has its own, core/tests/test_production_stack.py)."""

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "docker/gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_a_long_request_line_is_a_json_414(client):
    response = client.get("/api/v1/health", {"x": "a" * settings.RELAIS_MAX_REQUEST_LINE})
    assert response.status_code == 414
    assert response.json()["code"] == "URI_TOO_LONG"


def test_a_large_header_is_a_json_431(client):
    response = client.get("/api/v1/health", HTTP_X_PADDING="a" * 10 * 1024)
    assert response.status_code == 431
    assert response.json()["code"] == "HEADERS_TOO_LARGE"


def test_too_many_headers_is_a_json_431(client):
    headers = {f"HTTP_X_H{i}": "1" for i in range(settings.RELAIS_MAX_HEADER_FIELDS + 1)}
    response = client.get("/api/v1/health", **headers)
    assert response.status_code == 431
    assert response.json()["code"] == "HEADERS_TOO_LARGE"


@pytest.mark.django_db
def test_requests_within_the_limits_pass(client):
    response = client.get("/api/v1/health", {"x": "a" * 3000}, HTTP_X_PADDING="a" * 7000)
    assert response.status_code == 200


def test_gunicorn_limits_sit_above_djangos():
    conf = _gunicorn_conf()
    assert conf.limit_request_line > settings.RELAIS_MAX_REQUEST_LINE
    assert conf.limit_request_line <= 8190  # beyond, gunicorn falls back to its own maximum
    assert conf.limit_request_field_size > settings.RELAIS_MAX_HEADER_FIELD_SIZE
    assert conf.limit_request_fields > settings.RELAIS_MAX_HEADER_FIELDS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def gunicorn_port():
    """gunicorn with docker/gunicorn.conf.py (one gthread worker serving config.wsgi, as in
    production, on the loopback)."""
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "docker/gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-tmp-dir", "/tmp"]
        + ["--access-logfile", "/dev/null", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def _get(port, target: str, headers: str = "") -> tuple[bytes, bytes]:
    response = _raw(
        port,
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n".encode(),
    )
    head, _, body = response.partition(b"\r\n\r\n")
    return head, body


def test_through_gunicorn_oversized_requests_get_json(gunicorn_port):
    head, body = _get(gunicorn_port, "/api/v1/nothing?x=" + "a" * 6000)
    assert head.startswith(b"HTTP/1.1 414") and b'"URI_TOO_LONG"' in body
    head, body = _get(gunicorn_port, "/api/v1/nothing", f"X-Padding: {'a' * 10240}\r\n")
    assert head.startswith(b"HTTP/1.1 431") and b'"HEADERS_TOO_LARGE"' in body


def test_beyond_gunicorns_own_limits_gunicorn_answers_in_json(gunicorn_port):
    for length in (20_000, 70_000):
        head, body = _get(gunicorn_port, "/api/v1/nothing?x=" + "a" * length)
        assert head.startswith(b"HTTP/1.1 414") and b"application/json" in head
        assert b'"URI_TOO_LONG"' in body
    head, body = _get(gunicorn_port, "/api/v1/nothing", f"X-Padding: {'a' * 20000}\r\n")
    assert head.startswith(b"HTTP/1.1 431") and b'"HEADERS_TOO_LARGE"' in body
