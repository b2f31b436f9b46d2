"""Uploads and downloads through the ASGI server the docker image runs (config.asgi under
uvicorn: Django's WSGI handler in a2wsgi's threads): a multipart body of several megabytes
streamed in, an artifact streamed out (local files) or redirected to S3, byte for byte."""

import hashlib
import os

import pytest
import requests

from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = os.urandom(12 * 1024 * 1024 + 17)  # beyond every buffer of the way in and out
SHA256 = hashlib.sha256(CONTENT).hexdigest()


def _offered(url, content, hardware_id="asgi-hw"):
    """A CI uploads `content` (multipart) and publishes it; a device is offered it:
    (the offer, the device's headers)."""
    ci = requests.Session()
    ci.headers["Authorization"] = (
        f"Bearer {api_token_create(user=UserFactory(is_superuser=True)).token}"
    )
    license = LicenseFactory()
    release = ci.post(
        f"{url}/api/v1/manage/releases/", json={"product": license.product.pk, "version": "2.0.0"}
    )
    assert release.status_code == 201, release.text
    uploaded = ci.post(
        f"{url}/api/v1/manage/artifacts/",
        data={"release": release.json()["id"], "platform": "any", "size": str(len(content))},
        files={"file": ("setup.exe", content)},
        timeout=120,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert ci.post(f"{url}/api/v1/manage/releases/{release.json()['id']}/publish/").ok

    node = {"Authorization": f"Bearer {license.key}"}
    hardware = {
        "hardwareId": hardware_id,
        "machineName": "PC",
        "osVersion": "10",
        "appVersion": "1.0.0",
    }
    registered = requests.post(
        f"{url}/api/v1/updates/register-device", json=hardware, headers=node, timeout=30
    )
    assert registered.status_code == 201, registered.text
    offer = requests.get(
        f"{url}/api/v1/updates/check",
        params={"hardwareId": hardware_id, "version": "1.0.0"},
        headers=node,
        timeout=30,
    ).json()
    assert offer["updateAvailable"], offer
    return offer, node


def test_a_large_artifact_goes_in_and_out_whole(asgi_server):
    url = asgi_server()
    offer, node = _offered(url, CONTENT)
    assert offer["checksum"] == SHA256
    # Local files: the file itself, streamed; S3 (CI's second run): a 302 to a presigned URL,
    # followed without the Authorization header, as HTTP clients do across hosts.
    download = requests.get(offer["downloadUrl"], headers=node, timeout=120, stream=True)
    assert download.status_code == 200
    digest, size = hashlib.sha256(), 0
    for chunk in download.iter_content(256 * 1024):
        digest.update(chunk)
        size += len(chunk)
    assert size == len(CONTENT) and digest.hexdigest() == SHA256
    resumed = requests.get(
        offer["downloadUrl"], headers={**node, "Range": "bytes=5000000-"}, timeout=120
    )
    assert resumed.status_code == 206 and resumed.content == CONTENT[5000000:]


def test_a_chunked_body_reaches_django_whole(asgi_server):
    """No Content-Length (chunked transfer encoding, as streaming HTTP clients send): the
    report is read whole on the event loop, then handed to Django with its length."""
    import json

    from devices.tests.factories import DeviceFactory
    from telemetry.models import TelemetryReport

    device = DeviceFactory()
    url = asgi_server()
    report = json.dumps({"metrics": {"cpu": 12.5, "memory": 40}, "uptime": 3600}).encode()
    parts = (report[i : i + 7] for i in range(0, len(report), 7))  # a generator: chunked
    answer = requests.post(
        f"{url}/api/v1/telemetry",
        data=parts,
        headers={"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code in (200, 201, 202), answer.text
    stored = TelemetryReport.objects.get(device=device)
    assert stored.metrics == {"cpu": 12.5, "memory": 40}


def test_a_download_read_slowly_holds_no_thread(asgi_server):
    """One thread serves Django; two devices start a large download and read nothing (a
    slow link): the file is sent from the event loop, so other requests are still served,
    and a download read later arrives whole."""
    import socket
    from urllib.parse import urlsplit

    content = os.urandom(32 * 1024 * 1024)  # beyond what the sockets' buffers absorb
    url = asgi_server(RELAIS_WSGI_THREADS="1")
    offer, node = _offered(url, content)
    download = urlsplit(offer["downloadUrl"])
    probe = requests.get(
        offer["downloadUrl"], headers=node, allow_redirects=False, stream=True, timeout=30
    )
    probe.close()
    if probe.status_code == 302:
        pytest.skip("S3 storage: downloads are redirects, served by S3")
    host, port = download.hostname, download.port
    stalled = []
    for _ in range(2):
        stalled.append(socket.create_connection((host, port), timeout=30))
        stalled[-1].sendall(
            f"GET {download.path} HTTP/1.1\r\nHost: {download.netloc}\r\n"
            f"Authorization: {node['Authorization']}\r\n\r\n".encode()
        )
    try:
        for _ in range(3):  # each would wait for the one thread if a download held it
            health = requests.get(f"{url}/api/v1/health", timeout=10)
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


def test_a_body_over_the_server_limit_is_refused_before_django(asgi_server):
    url = asgi_server(RELAIS_MAX_REQUEST_BODY_BYTES="1000")
    declared = requests.post(f"{url}/api/v1/telemetry", data=b"x" * 5000, timeout=30)
    chunked = requests.post(f"{url}/api/v1/telemetry", data=iter([b"x" * 600] * 3), timeout=30)
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["code"] == "REQUEST_TOO_LARGE"
