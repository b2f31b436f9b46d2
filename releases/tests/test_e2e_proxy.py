"""Downloads and request bodies through the production stack (nginx in front of gunicorn,
docker/): the proxy sends local-storage artifacts itself on Django's X-Accel-Redirect,
buffers what a slow reader has not taken, hands Django whole bodies and refuses those over
its limit. What config.asgi's own middleware did before the proxy did it (issue 19)."""

import json
import os
import socket
from urllib.parse import urlsplit

import pytest
import requests

from devices.tests.factories import DeviceFactory
from telemetry.models import TelemetryReport

from .offers import offered

pytestmark = pytest.mark.django_db(transaction=True)

ACCEL = "/.relais-media/"
LOCAL = {"AWS_STORAGE_BUCKET_NAME": ""}  # local files even where the suite runs on S3


def test_a_local_download_is_sent_by_the_proxy(production_stack):
    content = os.urandom(3 * 1024 * 1024 + 5)
    stack = production_stack(**LOCAL)
    offer, node = offered(stack.url, content, hardware_id="accel-hw")
    assert offer["downloadUrl"].startswith(f"{stack.url}/api/v1/updates/download/")

    # Django checked the credentials and named the file; nginx consumed the header and
    # sent the file, whole or in part.
    whole = requests.get(offer["downloadUrl"], headers=node, timeout=60)
    assert whole.status_code == 200 and whole.content == content
    assert "X-Accel-Redirect" not in whole.headers
    assert whole.headers["Content-Disposition"].startswith("attachment")
    part = requests.get(offer["downloadUrl"], headers={**node, "Range": "bytes=1000-"}, timeout=60)
    assert part.status_code == 206 and part.content == content[1000:]

    # What gunicorn answered the proxy: the header, and no body.
    path = urlsplit(offer["downloadUrl"]).path
    handed = requests.get(f"{stack.web}{path}", headers=node, timeout=30)
    assert handed.status_code == 200 and handed.content == b""
    assert handed.headers["X-Accel-Redirect"].startswith(ACCEL)

    # The checks stay Django's: no credentials, no file; the internal location is not a URL.
    refused = requests.get(offer["downloadUrl"], timeout=30)  # a licensed product's artifact
    assert refused.status_code == 404 and refused.json()["code"] == "ARTIFACT_NOT_FOUND"
    direct = requests.get(f"{stack.url}{handed.headers['X-Accel-Redirect']}", timeout=30)
    assert direct.status_code == 404 and direct.json()["code"] == "NOT_FOUND"
    unsatisfiable = requests.get(
        offer["downloadUrl"], headers={**node, "Range": f"bytes={len(content)}-"}, timeout=30
    )
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.json()["code"] == "RANGE_NOT_SATISFIABLE"


@pytest.mark.parametrize("prefix", [ACCEL, ""], ids=["x-accel-redirect", "streamed-by-django"])
def test_a_stalled_download_blocks_nobody(production_stack, prefix):
    """One gunicorn thread; two devices start a large download and read nothing (a slow
    link). Whether nginx sends the file itself or buffers what Django streams, the thread
    is free: other requests are served, and a download read later arrives whole."""
    content = os.urandom(32 * 1024 * 1024)  # beyond what the sockets' buffers absorb
    stack = production_stack(threads=1, RELAIS_ACCEL_REDIRECT_PREFIX=prefix, **LOCAL)
    offer, node = offered(stack.url, content, hardware_id="stalled-hw")
    download = urlsplit(offer["downloadUrl"])
    stalled = []
    for _ in range(2):
        stalled.append(socket.create_connection((download.hostname, download.port), timeout=30))
        stalled[-1].sendall(
            f"GET {download.path} HTTP/1.1\r\nHost: {download.netloc}\r\n"
            f"Authorization: {node['Authorization']}\r\n\r\n".encode()
        )
    try:
        for _ in range(3):  # each would wait for the one thread if a download held it
            health = requests.get(f"{stack.url}/api/v1/health", timeout=10)
            assert health.status_code == 200
        received = b""
        while True:  # the first stalled download, read at last
            data = stalled[0].recv(1024 * 1024)
            if not data:
                break
            received += data
            head, _, body = received.partition(b"\r\n\r\n")
            if len(body) >= len(content):
                break
        assert head.startswith(b"HTTP/1.1 200") and body == content
    finally:
        for connection in stalled:
            connection.close()


def test_the_proxy_hands_django_whole_bodies_and_refuses_larger_ones(production_stack):
    """A chunked body (no Content-Length, as streaming HTTP clients send) reaches Django
    whole, with its length; one over RELAIS_PROXY_MAX_BODY, declared or chunked, is refused
    by nginx in JSON before Django sees it."""
    device = DeviceFactory()
    stack = production_stack(RELAIS_PROXY_MAX_BODY="1k")
    report = json.dumps({"metrics": {"cpu": 12.5, "memory": 40}, "uptime": 3600}).encode()
    parts = (report[i : i + 7] for i in range(0, len(report), 7))  # a generator: chunked
    answer = requests.post(
        f"{stack.url}/api/v1/telemetry",
        data=parts,
        headers={"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    assert TelemetryReport.objects.get(device=device).metrics == {"cpu": 12.5, "memory": 40}

    declared = requests.post(f"{stack.url}/api/v1/telemetry", data=b"x" * 5000, timeout=30)
    chunked = requests.post(
        f"{stack.url}/api/v1/telemetry", data=iter([b"x" * 600] * 3), timeout=30
    )
    for refused in (declared, chunked):
        assert refused.status_code == 413
        assert refused.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert TelemetryReport.objects.count() == 1
