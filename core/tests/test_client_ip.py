"""The client's address comes from exactly the proxies the operator declares
(RELAIS_TRUSTED_PROXIES): a forged X-Forwarded-For never makes a new client."""

import asyncio
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.client_ip import UNKNOWN, client_ip

VALIDATE = "/api/v1/licenses/validate"
WRONG_KEY = "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA"
ROOT = Path(__file__).resolve().parents[2]


def _proxies(value: str) -> tuple:
    return tuple(ipaddress.ip_network(p.strip()) for p in value.split(",") if p.strip())


def _client(proxies: str, peer: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(RELAIS_TRUSTED_PROXIES=_proxies(proxies)):
        return client_ip(RequestFactory().get("/", **extra))


def _validations(api_client, count: int, extra) -> list[int]:
    return [
        api_client.post(VALIDATE, {"key": WRONG_KEY}, format="json", **extra(n)).status_code
        for n in range(count)
    ]


pytestmark = pytest.mark.django_db


@override_settings(
    RELAIS_THROTTLE_RATES={"license_validate": "2/min", "node": "1000/min"},
    RELAIS_TRUSTED_PROXIES=_proxies("10.0.0.1"),
)
def test_a_forged_header_from_a_peer_that_is_no_declared_proxy_changes_nothing(api_client):
    """A client that reaches the server directly names a new address in each request."""
    statuses = _validations(
        api_client,
        5,
        extra=lambda n: {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"},
    )
    assert statuses == [200, 200, 429, 429, 429]


@override_settings(
    RELAIS_THROTTLE_RATES={"license_validate": "2/min", "node": "1000/min"},
    RELAIS_TRUSTED_PROXIES=_proxies("10.0.0.0/8"),
)
def test_from_a_declared_proxy_the_forwarded_client_is_counted(api_client):
    def through_proxies(client):
        # The client forged an entry; the two proxies appended what they saw.
        chain = f"6.6.6.6, {client}, 10.1.2.3"
        return {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": chain}

    first = _validations(api_client, 3, extra=lambda n: through_proxies("198.51.100.1"))
    second = _validations(api_client, 1, extra=lambda n: through_proxies("198.51.100.2"))
    assert first == [200, 200, 429] and second == [200]


@override_settings(
    RELAIS_THROTTLE_RATES={"license_validate": "2/min", "node": "1000/min"},
    RELAIS_TRUSTED_PROXIES=_proxies("10.0.0.0/8"),
)
def test_garbage_in_the_header_is_no_new_client(api_client):
    def forged(n):
        chains = [f"garbage-{n}", f"198.51.100.{n}, garbage-{n}", f"nope{n}, 10.1.2.3", ""]
        return {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": chains[n % 4]}

    statuses = _validations(api_client, 12, extra=forged)
    # Three buckets: nobody (a forged rightmost entry), the proxy that recorded a forged
    # entry, and the proxy in front itself (no address forwarded): two passes each.
    assert statuses.count(200) == 6 and statuses.count(429) == 6
    assert _client("10.0.0.0/8", "10.0.0.1", "198.51.100.7, garbage") == UNKNOWN
    assert _client("10.0.0.0/8", "10.0.0.1", "198.51.100.7, x, 10.1.2.3") == "10.1.2.3"
    assert _client("10.0.0.0/8", "10.0.0.1", "") == "10.0.0.1"


def test_without_declared_proxies_three_hundred_forged_addresses_are_one_client(api_client):
    """RELAIS_TRUSTED_PROXIES empty (the default): the header is never read."""
    statuses = _validations(
        api_client,
        300,
        extra=lambda n: {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_X_FORWARDED_FOR": f"10.{n // 250}.{n % 250}.1",
        },
    )
    assert statuses.count(200) == 120 and statuses.count(429) == 180


@pytest.mark.parametrize(
    ("proxies", "peer", "forwarded", "client"),
    [
        ("", "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        ("10.0.0.1", "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        ("10.0.0.1", "10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "10.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.0/8", "10.0.0.1", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"),
        ("10.0.0.0/8", "10.0.0.1", "10.2.2.2, 10.9.9.9", "10.2.2.2"),  # all proxies
        ("10.0.0.0/8", "10.0.0.1", "203.0.113.9:4711", "203.0.113.9"),
        ("10.0.0.0/8", "10.0.0.1", "garbage", UNKNOWN),
        ("10.0.0.0/8", "10.0.0.1", "203.0.113.9, garbage, 10.9.9.9", "10.9.9.9"),
        ("10.0.0.0/8, 2001:db8::/32", "2001:db8::1", "[2a00::5]:443, 2001:db8::2", "2a00::5"),
        ("10.0.0.0/8", "::ffff:10.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.0/8", "not-an-address", "203.0.113.9, garbage", UNKNOWN),
        ("", "not-an-address", None, UNKNOWN),
    ],
)
def test_the_client_is_the_first_forwarded_address_that_is_no_declared_proxy(
    proxies, peer, forwarded, client
):
    assert _client(proxies, peer, forwarded) == client


def _as_uvicorn_passes_it(proxies: str, peer: str, forwarded: str | None) -> dict:
    """The request as Django gets it from uvicorn with `forwarded_allow_ips=proxies`."""
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    scope = {"type": "http", "scheme": "http", "client": (peer, 50000), "headers": headers}
    asyncio.run(ProxyHeadersMiddleware(app, trusted_hosts=proxies)(scope, None, None))
    return seen["client"][0]


@pytest.mark.parametrize("proxies", ["10.0.0.0/8", "10.0.0.1, 192.0.2.0/24", ""])
@pytest.mark.parametrize(
    ("peer", "forwarded"),
    [
        ("10.0.0.1", None),
        ("10.0.0.1", ""),
        ("10.0.0.1", "198.51.100.1"),
        ("10.0.0.1", "198.51.100.1, 203.0.113.9, 10.9.9.9"),
        ("10.0.0.1", "10.2.2.2, 10.9.9.9"),
        ("10.0.0.1", "203.0.113.9:4711, 192.0.2.8"),
        ("10.0.0.1", "garbage"),
        ("10.0.0.1", "198.51.100.1, garbage, 10.9.9.9"),
        ("10.0.0.1", "198.51.100.1, , 10.9.9.9"),
        ("192.0.2.8", "[2a00::5]:443, 10.9.9.9"),
        ("203.0.113.5", "198.51.100.1"),
    ],
)
def test_the_same_client_after_the_server_read_the_header_with_the_same_proxies(
    proxies, peer, forwarded
):
    """uvicorn (and gunicorn's UvicornWorker) with forwarded_allow_ips set to the same list
    rewrite REMOTE_ADDR: reading the header again here gives the same client."""
    rewritten = _as_uvicorn_passes_it(proxies, peer, forwarded)
    assert _client(proxies, rewritten, forwarded) == _client(proxies, peer, forwarded)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RELAIS_NUM_PROXIES", "1", "RELAIS_TRUSTED_PROXIES"),
        ("RELAIS_TRUSTED_PROXIES", "10.0.0.1/8", "RELAIS_TRUSTED_PROXIES"),
        ("RELAIS_TRUSTED_PROXIES", "proxy.example.com", "RELAIS_TRUSTED_PROXIES"),
    ],
)
def test_a_deployment_still_naming_a_number_of_proxies_does_not_start(variable, value, message):
    env = {**os.environ, variable: value, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and message in started.stderr
