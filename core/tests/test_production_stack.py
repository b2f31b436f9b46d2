"""The production stack as docker/ runs it (nginx -> gunicorn and uvicorn, production
settings), probed from outside: every refusal in JSON with a `code`, whichever of the three
answers it; a client address that a forged X-Forwarded-For does not change; slow senders and
Socket.IO through the proxy."""

import re
import socket
import time

import pytest
import requests
import socketio

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory

pytestmark = pytest.mark.django_db(transaction=True)

MANY_PARAMETERS = "&".join(f"p{i}=1" for i in range(10_000))
HOT_ROUTES = [
    "/api/license/validate",
    "/api/v1/updates/check",
    "/update/check",
    "/api/updates/latest",
    "/api/v1/ping",
]
# Requests the issue found answered in text/plain or HTML, and their neighbours.
MALFORMED = {
    **{
        f"10,000 parameters on {route}": f"GET {route}?{MANY_PARAMETERS} HTTP/1.1\r\n"
        "Host: localhost\r\n\r\n".encode()
        for route in HOT_ROUTES
    },
    "a 5 KB request line": f"GET /api/v1/ping?{'a' * 5000} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(),
    "a raw 0xFF byte in a download path": b"GET /update/download/\xff\xfe HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "a raw Latin-1 byte in a path": b"GET /api/v1/\xe9 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "a control byte in Authorization": b"GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\n"
    b"Authorization: Bearer a\x01b\r\n\r\n",
    "DEL in Authorization": b"GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\n"
    b"Authorization: Bearer a\x7fb\r\n\r\n",
    "NUL in a header": b"GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n",
    "a space in a header name": b"GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\nX A: b\r\n\r\n",
    "not HTTP at all": b"\x16\x03\x01garbage\r\n\r\n",
    "a 9 KB header": b"GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\nX-A: "
    + b"a" * 9000
    + b"\r\n\r\n",
    "a space in the request target": b"GET /api/v1/ping x HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "a control byte in the request target": b"GET /api/v1/pi\x01ng HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "an unknown HTTP version": b"GET /api/v1/ping HTTP/9.9\r\nHost: localhost\r\n\r\n",
    "a Content-Length that is no number": b"POST /api/v1/telemetry HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Length: abc\r\n\r\n",
    "a body over the limit": b"POST /api/v1/telemetry HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Length: 99999999999\r\n\r\n",
    "no Host": b"GET /api/v1/ping HTTP/1.1\r\n\r\n",
    "a Host not allowed": b"GET /api/v1/ping HTTP/1.1\r\nHost: evil.example\r\n\r\n",
}


def _raw(port: int, data: bytes, source: str = "127.0.0.1") -> tuple[int, str, bytes]:
    """(status, Content-Type, body) of one request written byte for byte, from `source`."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=(source, 0)
    ) as sock:
        sock.sendall(data)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length: *(\d+)", head)
            if length and len(body) >= int(length.group(1)):
                break
            if re.search(rb"(?im)^transfer-encoding: *chunked", head) and body.endswith(
                b"0\r\n\r\n"
            ):
                body = b"".join(re.findall(rb"[0-9a-f]+\r\n(.*?)\r\n", body, re.S))
                break
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    ctype = re.search(rb"(?im)^content-type: *([^\r\n]*)", head)
    return status, (ctype.group(1).decode() if ctype else ""), body


def _assert_json_refusals(port: int, cases: dict) -> None:
    wrong = {}
    for name, data in cases.items():
        status, ctype, body = _raw(port, data)
        if not (400 <= status < 600 and ctype.startswith("application/json")):
            wrong[name] = (status, ctype, body[:80])
            continue
        if not re.search(rb'"code": ?"[A-Z_]+"', body):
            wrong[name] = (status, ctype, body[:80])
    assert not wrong, wrong


def test_malformed_requests_are_refused_in_json_by_whoever_answers(production_stack):
    stack = production_stack()
    # Through the proxy, as devices reach it; and straight at gunicorn, as a proxy that
    # passes a request through would hand it over.
    _assert_json_refusals(stack.port, MALFORMED)
    passed_through = {
        name: data
        for name, data in MALFORMED.items()
        if name not in ("a 9 KB header", "a body over the limit")  # nginx's limits, not gunicorn's
    }
    _assert_json_refusals(stack.web_port, passed_through)


def test_the_realtime_process_refuses_in_json_too(production_stack):
    """uvicorn (docker/entrypoint.sh realtime) behind the proxy: what nginx passes on
    /socket.io/ and uvicorn's parser refuses."""
    stack = production_stack()
    _assert_json_refusals(
        stack.port,
        {
            "a control byte in Authorization": b"GET /socket.io/?EIO=4&transport=polling "
            b"HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer a\x01b\r\n\r\n",
            "a raw 0xFF byte": b"GET /socket.io/\xff?EIO=4&transport=polling HTTP/1.1\r\n"
            b"Host: localhost\r\n\r\n",
        },
    )


def test_make_runs_server_refuses_in_json_too(asgi_server):
    """uvicorn alone, as `make run` serves (scripts/run-embedded): no proxy in front."""
    port = int(asgi_server().rsplit(":", 1)[1])
    _assert_json_refusals(
        port,
        {
            name: data
            for name, data in MALFORMED.items()
            if name not in ("a body over the limit", "no Host")  # no proxy to refuse them
        },
    )


def test_a_forged_x_forwarded_for_does_not_reset_the_validation_throttle(production_stack):
    # The seeds' validation route (120/min per address by default).
    stack = production_stack(RELAIS_THROTTLE_VALIDATE="20/min")
    statuses = []
    for i in range(40):
        answer = requests.post(
            f"{stack.url}/api/v1/licenses/validate",
            json={"key": f"WRONG-{i}"},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
            timeout=10,
        )
        assert answer.headers["Content-Type"].startswith("application/json")
        statuses.append(answer.status_code)
    assert statuses.count(429) >= 20, statuses


def _validate_from(source: str, port: int, forwarded_for: str = "") -> int:
    body = b'{"key": "WRONG-KEY"}'
    forged = f"X-Forwarded-For: {forwarded_for}\r\n".encode() if forwarded_for else b""
    status, _, _ = _raw(
        port,
        b"POST /api/v1/licenses/validate HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        + forged
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
        source=source,
    )
    return status


def test_clients_behind_the_proxy_are_told_apart(production_stack):
    """Django reads the address nginx saw (the right of X-Forwarded-For, past the trusted
    proxy 127.0.0.2): one client over its limit leaves another's bucket alone, and what a
    client writes in X-Forwarded-For itself is not read."""
    stack = production_stack(RELAIS_THROTTLE_VALIDATE="5/min")
    first = [_validate_from("127.0.0.1", stack.port, f"203.0.113.{i}") for i in range(8)]
    assert first[-1] == 429, first
    assert _validate_from("127.0.0.3", stack.port) == 200


def test_make_runs_server_believes_no_forwarded_for_by_default(asgi_server):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise: scripts/run-embedded
    (and this fixture) pass it RELAIS_TRUSTED_PROXIES, empty by default."""
    port = int(asgi_server(RELAIS_THROTTLE_VALIDATE="5/min").rsplit(":", 1)[1])
    statuses = [_validate_from("127.0.0.1", port, f"203.0.113.{i}") for i in range(8)]
    assert statuses[-1] == 429, statuses


def test_slow_senders_hold_no_django_thread(production_stack):
    """Two gunicorn threads; four clients send their bodies a few bytes at a time with
    pauses. nginx buffers the bodies, so no thread waits for them: a normal request is
    answered at once meanwhile, and each slow body, once whole, reaches Django."""
    import threading

    device = DeviceFactory()
    stack = production_stack(threads=2)
    body = b'{"metrics": {"cpu": 12.5}, "uptime": 60}'
    head = (
        f"POST /api/v1/telemetry HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        f"Authorization: Bearer {device.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    go_on = threading.Event()
    statuses = []

    def send_slowly():
        with socket.create_connection(("127.0.0.1", stack.port), timeout=30) as slow:
            slow.sendall(head + body[:5])
            go_on.wait(20)
            for i in range(5, len(body), 4):
                slow.sendall(body[i : i + 4])
                time.sleep(0.02)
            statuses.append(int(slow.recv(65536).split(b" ", 2)[1]))

    senders = [threading.Thread(target=send_slowly) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        time.sleep(0.5)  # every sender has started its body and stalled
        started = time.monotonic()
        answer = requests.get(f"{stack.url}/api/v1/health", timeout=10)
        assert answer.status_code == 200
        # The health check's own work is milliseconds; held threads would keep it waiting
        # for nginx's client_body_timeout (30 s).
        assert time.monotonic() - started < 10
    finally:
        go_on.set()
        for sender in senders:
            sender.join(30)
    assert statuses == [201] * 4


def test_socket_io_is_upgraded_through_the_proxy(production_stack):
    stack = production_stack()
    client = socketio.Client(reconnection=False)
    connected = []
    client.on("connect", lambda: connected.append(True))
    client.connect(stack.url, transports=["websocket"], wait_timeout=10)
    try:
        assert connected and client.transport() == "websocket"
    finally:
        client.disconnect()


def test_a_device_validates_through_the_stack(production_stack):
    license = LicenseFactory()
    stack = production_stack()
    answer = requests.post(
        f"{stack.url}/api/v1/licenses/validate",
        json={"key": license.key},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["valid"] is True


def test_metrics_sum_the_gunicorn_workers(production_stack, tmp_path):
    """docker/'s web role in multiprocess mode: three workers, one scrape counts them all."""
    from prometheus_client.parser import text_string_to_metric_families

    token = "stack-metrics-token"  # noqa: S105
    stack = production_stack(
        GUNICORN_WORKERS="3",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        RELAIS_METRICS_TOKEN=token,
    )
    for _ in range(30):
        assert requests.get(f"{stack.url}/api/v1/health/live", timeout=10).status_code == 200
    assert requests.get(f"{stack.url}/metrics", timeout=10).status_code == 401
    answer = requests.get(
        f"{stack.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 200
    live = [
        s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
        if s.name == "relais_http_requests_total" and s.labels["route"] == "health-live"
    ]
    assert live == [30.0]
    assert len(list((tmp_path / "metrics").glob("counter_*.db"))) >= 1
