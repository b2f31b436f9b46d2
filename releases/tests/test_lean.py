"""The node hot path's lean answers (core.api.lean) are the full stack's answers.

Every request here is sent twice, lean path on and off, and the answers compared; the plain
case must be answered by the lean path (the DRF views are made to fail), everything else by
the full stack (the lean path steps aside)."""

from unittest import mock

import pytest
from django.db import OperationalError

from devices.api.views import PingView
from devices.services import device_deactivate, device_rotate_token
from devices.tests.factories import DeviceFactory
from licensing.services import license_revoke, license_suspend, tenant_deactivate
from licensing.tests.factories import ProductFactory
from releases.api.views import UpdateCheckView
from releases.tests.factories import forget_caches, published_release

pytestmark = pytest.mark.django_db
CHECK, PING = "/api/v1/updates/check", "/api/v1/ping"
COMPARED_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Language",
    "Vary",
    "Allow",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture
def device():
    product = ProductFactory()
    published_release(product=product, version="1.1.0")
    published_release(product=product, version="1.2.0", is_mandatory=True)
    forget_caches()
    return DeviceFactory(license__policy__product=product, app_version="1.0.0")


def _token(device):
    return {"HTTP_AUTHORIZATION": f"Bearer {device.token}"}


def _key(device):
    return {"HTTP_AUTHORIZATION": f"Bearer {device.license.key}"}


def _answer(response):
    body = response.json()
    headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
    if isinstance(body, dict) and "serverTime" in body:  # the clock moved between the two
        headers["Content-Length"] = int(headers["Content-Length"]) - len(body.pop("serverTime"))
    return response.status_code, body, headers


def _both(client, settings, path, params, headers):
    """(lean on, lean off) answers of one request."""
    answers = []
    for lean in (True, False):
        settings.RELAIS_NODE_LEAN = lean
        answers.append(_answer(client.get(path, params, **headers)))
    return answers


def _full_stack_disabled():
    """The DRF handlers of the lean routes fail: an answer proves the lean path gave it."""
    broken = mock.Mock(side_effect=AssertionError("took the full stack"))
    return mock.patch.multiple(UpdateCheckView, get=broken), mock.patch.object(
        PingView, "get", broken
    )


PLAIN = [
    (CHECK, {"version": "1.0.0"}, _token),
    (CHECK, {"version": "1.1.5", "osVersion": "Windows 10"}, _token),
    (CHECK, {"version": "9.0.0"}, _token),
    (CHECK, {"version": "1.0.0", "platform": "linux-aarch64", "channel": "beta"}, _token),
    (CHECK, {}, _token),
    (PING, {}, _token),
    (PING, {}, lambda d: {**_token(d), "HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}),
]


@pytest.mark.parametrize(("path", "params", "credential"), PLAIN)
def test_the_plain_case_is_answered_lean_and_alike(
    client, settings, device, path, params, credential
):
    lean, full = _both(client, settings, path, params, credential(device))
    assert lean == full and lean[0] == 200
    settings.RELAIS_NODE_LEAN = True
    check, ping = _full_stack_disabled()
    with check, ping:
        assert _answer(client.get(path, params, **credential(device))) == lean


@pytest.mark.parametrize("path", [CHECK, PING])
def test_license_key_and_hardware_id_take_the_lean_path(client, settings, device, path):
    params = {"hardwareId": device.hardware_id, "version": "1.0.0"}
    if path == PING:
        params.pop("version")
    lean, full = _both(client, settings, path, params, _key(device))
    assert lean == full and lean[0] == 200
    settings.RELAIS_NODE_LEAN = True
    check, ping = _full_stack_disabled()
    with check, ping:
        assert _answer(client.get(path, params, **_key(device))) == lean


STEPS_ASIDE = [
    ("unknown parameter", CHECK, {"version": "1.0.0", "cacheBuster": "1"}, _token),
    ("bad version", CHECK, {"version": "not-a-version"}, _token),
    ("bad platform", CHECK, {"platform": "amiga-68k"}, _token),
    ("control character", CHECK, {"version": "1.0.0\x01"}, _token),
    ("unknown token", CHECK, {}, lambda d: {"HTTP_AUTHORIZATION": "Bearer dvt_" + "x" * 43}),
    ("no credential", PING, {}, lambda d: {}),
    ("host not allowed", PING, {}, lambda d: {**_token(d), "HTTP_HOST": "evil.example"}),
    ("other scheme", PING, {}, lambda d: {"HTTP_AUTHORIZATION": f"Token {d.token}"}),
    ("key without hardwareId", PING, {}, _key),
    ("key, unknown hardwareId", CHECK, {"hardwareId": "nope"}, _key),
    (
        "Accept-Language on an error",
        CHECK,
        {"version": "x"},
        lambda d: {**_token(d), "HTTP_ACCEPT_LANGUAGE": "fr"},
    ),
]


@pytest.mark.parametrize(
    ("path", "params", "credential"),
    [case[1:] for case in STEPS_ASIDE],
    ids=[case[0] for case in STEPS_ASIDE],
)
def test_what_is_not_plain_is_the_full_stacks_answer(
    client, settings, device, path, params, credential
):
    lean, full = _both(client, settings, path, params, credential(device))
    assert lean == full


@pytest.mark.parametrize(
    "change",
    [
        lambda d: license_suspend(license=d.license),
        lambda d: license_revoke(license=d.license),
        lambda d: tenant_deactivate(tenant=d.tenant),
        lambda d: device_deactivate(device=d),
    ],
    ids=["suspend", "revoke", "tenant deactivated", "device deactivated"],
)
def test_a_lockout_takes_effect_at_the_next_request(client, settings, device, change):
    settings.RELAIS_NODE_LEAN = True
    assert client.get(CHECK, **_token(device)).status_code == 200
    change(device)
    lean, full = _both(client, settings, CHECK, {}, _token(device))
    assert lean == full and lean[0] in (401, 403)


def test_a_rotated_token_is_refused_at_the_next_request(client, settings, device):
    settings.RELAIS_NODE_LEAN = True
    old = _token(device)
    assert client.get(PING, **old).status_code == 200
    device.token = device_rotate_token(device=device)
    assert client.get(PING, **old).status_code == 403
    assert client.get(PING, **_token(device)).status_code == 200


def test_lean_and_full_stack_share_one_bucket_and_count_once(client, settings, device):
    settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "node": "3/min"}
    settings.RELAIS_NODE_LEAN = True
    forget_caches()
    # Counted by the lean path, which steps aside (400 from the full stack): counted once.
    assert client.get(CHECK, {"cacheBuster": "1"}, **_token(device)).status_code == 400
    settings.RELAIS_NODE_LEAN = False
    assert client.get(PING, **_token(device)).status_code == 200  # full stack: 2
    settings.RELAIS_NODE_LEAN = True
    assert client.get(CHECK, **_token(device)).status_code == 200  # lean: 3
    over = client.get(CHECK, **_token(device))
    assert over.status_code == 429 and over.json()["code"] == "THROTTLED"
    assert "Retry-After" in over.headers


def test_one_query_per_warm_check(client, settings, device, django_assert_num_queries):
    settings.RELAIS_NODE_LEAN = True
    client.get(CHECK, **_token(device))  # warms the catalogue
    with django_assert_num_queries(1):
        assert client.get(CHECK, {"version": "1.0.0"}, **_token(device)).status_code == 200
    with django_assert_num_queries(1):
        params = {"version": "1.0.0", "hardwareId": device.hardware_id}
        assert client.get(CHECK, params, **_key(device)).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(PING, **_token(device)).status_code == 200


def test_an_unexpected_error_in_the_lean_path_gets_the_full_stacks_answer(client, settings, device):
    settings.RELAIS_NODE_LEAN = True
    with mock.patch("devices.api.authentication._BY_TOKEN.row", side_effect=RuntimeError("bug")):
        response = client.get(CHECK, **_token(device))
    assert response.status_code == 200 and response.json()["version"] == "1.2.0"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", CHECK, None),
        ("get", PING, None),
        ("post", "/api/v1/telemetry", '{"metrics": {"cpu": 1}}'),
    ],
)
def test_the_database_down_is_answered_once_as_the_full_stack_does(
    client, settings, device, method, path, body
):
    """No second wait on the database through the full stack: the same JSON 500 at once."""
    answers = []
    for lean in (True, False):
        settings.RELAIS_NODE_LEAN = lean
        client.raise_request_exception = False
        down = OperationalError("connection refused")
        with (
            mock.patch("devices.api.authentication._BY_TOKEN.row", side_effect=down) as lean_row,
            mock.patch("devices.api.authentication._devices", side_effect=down),
        ):
            extra = {"data": body, "content_type": "application/json"} if body else {}
            response = getattr(client, method)(path, **extra, **_token(device))
        answers.append((response.status_code, response.json()))
        assert lean_row.call_count == int(lean)
    assert answers[0] == answers[1] and answers[0][0] == 500
    assert answers[0][1]["code"] == "SERVER_ERROR"


def test_on_redis_the_lean_count_expires_with_its_window(client, settings, device):
    """The device's window holds the times of its two requests, and goes a period after
    the last one."""
    from core.cache import redis_client

    if redis_client() is None:
        pytest.skip("needs Redis, the production cache")
    settings.RELAIS_NODE_LEAN = True
    settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "node": "600/min"}
    forget_caches()
    for _ in range(2):
        assert client.get(PING, **_token(device)).status_code == 200
    client_ = redis_client()
    (key,) = client_.keys(f"*throttle_node_device:{device.pk}")
    assert client_.llen(key) == 2 and 0 < client_.ttl(key) <= 60


@pytest.mark.parametrize("refused", ["suspended", "throttled"])
def test_stepping_aside_after_the_lookup_costs_no_second_query(
    client, settings, device, refused, django_assert_num_queries
):
    settings.RELAIS_NODE_LEAN = True
    client.get(CHECK, **_token(device))  # warms the catalogue
    if refused == "suspended":
        license_suspend(license=device.license)
    else:
        settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "node": "1/min"}
    with django_assert_num_queries(1):
        response = client.get(CHECK, **_token(device))
    assert response.status_code == (403 if refused == "suspended" else 429)


def test_a_redis_refusing_scripts_still_throttles(client, settings, device):
    """NOPERM (an ACL without @scripting): the windows are counted in this process, the
    lean path and the full stack alike."""
    from limits.storage import RedisStorage
    from redis.exceptions import ResponseError

    settings.RELAIS_NODE_LEAN = True
    settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "node": "2/min"}
    forget_caches()
    refused = ResponseError("NOPERM this user has no permissions to run the 'evalsha' command")
    with (
        mock.patch.object(RedisStorage, "acquire_entry", side_effect=refused),
        mock.patch.object(RedisStorage, "get_moving_window", side_effect=refused),
    ):
        statuses = [client.get(PING, **_token(device)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
