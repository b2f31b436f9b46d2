"""The node hot routes, one implementation each: a warm request costs no query (credentials
kept per process, core.credentials), and every change that decides authentication still
takes effect at the next request, in this process or another."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone

from core.credentials import GENERATION_KEY
from devices.models import Device
from devices.services.devices import device_deactivate, device_rotate_token
from devices.tests.factories import DeviceFactory
from licensing.models import License
from licensing.services import license_revoke, license_suspend, tenant_deactivate
from licensing.tests.factories import ProductFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/updates/check"
PING = "/api/v1/ping"


@pytest.fixture
def device():
    product = ProductFactory()
    published_release(product=product, version="1.1.0")
    return DeviceFactory(license__policy__product=product, app_version="1.0.0")


def _by_token(client, device, path=CHECK, **params):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client.get(path, {"version": "1.0.0", **params})


def _by_key(client, device, path=CHECK):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.license.key}")
    return client.get(path, {"version": "1.0.0", "hardwareId": device.hardware_id})


@pytest.mark.parametrize("ask", [_by_token, _by_key], ids=["device token", "license key"])
@pytest.mark.parametrize("path", [CHECK, PING])
def test_a_warm_request_costs_no_query(api_client, device, ask, path, django_assert_num_queries):
    assert ask(api_client, device, path).status_code == 200  # cold: looked up, kept
    with django_assert_num_queries(0):
        assert ask(api_client, device, path).status_code == 200


def test_reports_cost_their_insert_only(api_client, device, django_assert_num_queries):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    report = {"metrics": {"cpu": 12.5, "memory": 40}, "uptime": 3600, "version": "1.0.0"}
    assert api_client.post("/api/v1/telemetry", report, format="json").status_code == 201
    with django_assert_num_queries(1):
        assert api_client.post("/api/v1/telemetry", report, format="json").status_code == 201


def _expire(license: License) -> None:
    license.expires_at = timezone.now() - timedelta(days=30)
    license.grace_period = timedelta(0)
    license.save()


CHANGES = {
    "license suspended": (lambda d: license_suspend(license=d.license), 403, "SUSPENDED"),
    "license revoked": (lambda d: license_revoke(license=d.license), 403, "REVOKED"),
    "license expired": (lambda d: _expire(d.license), 403, "EXPIRED"),
    "tenant turned off": (lambda d: tenant_deactivate(tenant=d.tenant), 403, "TENANT_INACTIVE"),
    "device deactivated": (lambda d: device_deactivate(device=d), 403, "DEVICE_NOT_ACTIVATED"),
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("ask", [_by_token, _by_key], ids=["device token", "license key"])
def test_each_change_takes_effect_at_the_next_request(api_client, device, change, ask):
    assert ask(api_client, device).status_code == 200
    assert ask(api_client, device).status_code == 200  # served from what was kept
    make, status, code = CHANGES[change]
    make(Device.objects.select_related("license", "tenant").get(pk=device.pk))
    refused = ask(api_client, device)
    assert (refused.status_code, refused.json()["code"]) == (status, code)


def test_a_rotated_token_stops_at_once(api_client, device):
    assert _by_token(api_client, device).status_code == 200
    old = device.token
    device.token = device_rotate_token(device=device)
    assert _by_token(api_client, device).status_code == 200
    device.token = old
    assert _by_token(api_client, device).json()["code"] == "DEVICE_NOT_ACTIVATED"


def test_a_change_committed_by_another_process_is_seen_at_the_next_request(api_client, device):
    """Another process writes the row and moves the shared generation on commit; this
    process, which kept the credential, looks it up again at its next request."""
    assert _by_token(api_client, device).status_code == 200
    # The other process's write (no signal reaches this one) ...
    Device.objects.filter(pk=device.pk).update(status=Device.Status.DEACTIVATED)
    assert _by_token(api_client, device).status_code == 200  # ... unseen while kept ...
    cache.set(GENERATION_KEY, cache.get(GENERATION_KEY, 0) + 1)  # ... until its commit
    # moves the generation.
    assert _by_token(api_client, device).json()["code"] == "DEVICE_NOT_ACTIVATED"


def test_what_is_kept_is_looked_up_again_after_its_time(api_client, device):
    with override_settings(RELAIS_CREDENTIALS_KEPT_SECONDS=0):
        assert _by_token(api_client, device).status_code == 200
        Device.objects.filter(pk=device.pk).update(status=Device.Status.DEACTIVATED)
        assert _by_token(api_client, device).json()["code"] == "DEVICE_NOT_ACTIVATED"


def test_at_most_the_bound_is_kept(api_client, device, django_assert_num_queries):
    other = DeviceFactory(license=device.license, app_version="1.0.0")
    with override_settings(RELAIS_CREDENTIALS_KEPT_MAX=1):
        for node in (device, other):
            assert _by_token(api_client, node).status_code == 200
        with django_assert_num_queries(0):  # the newest is kept
            assert _by_token(api_client, other).status_code == 200
        with django_assert_num_queries(1):  # the oldest was dropped
            assert _by_token(api_client, device).status_code == 200


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
)
def test_without_the_cache_every_request_reads_the_database(
    api_client, device, django_assert_num_queries
):
    """Nothing kept is used when the generation cannot be read: a change still takes effect
    at the next request, whichever process made it."""
    assert _by_token(api_client, device, PING).status_code == 200
    with django_assert_num_queries(1):
        assert _by_token(api_client, device, PING).status_code == 200
    Device.objects.filter(pk=device.pk).update(status=Device.Status.DEACTIVATED)
    assert _by_token(api_client, device).json()["code"] == "DEVICE_NOT_ACTIVATED"


def test_a_license_kept_expires_when_its_time_comes(api_client, device):
    """Expiry is read from the kept row at each request: no write needs to move anything."""
    License.objects.filter(pk=device.license_id).update(
        expires_at=timezone.now() + timedelta(days=1), grace_period=timedelta(0)
    )
    cache.set(GENERATION_KEY, cache.get(GENERATION_KEY, 0) + 1)
    assert _by_token(api_client, device).status_code == 200
    later = timezone.now() + timedelta(days=2)
    with mock.patch("licensing.codes.timezone.now", return_value=later):
        assert _by_token(api_client, device).json()["code"] == "EXPIRED"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", CHECK, None),
        ("get", PING, None),
        ("post", "/api/v1/telemetry", '{"metrics": {"cpu": 1}}'),
    ],
)
def test_the_database_down_is_a_json_500(client, device, method, path, body):
    client.raise_request_exception = False

    def down(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(down):
        extra = {"data": body, "content_type": "application/json"} if body else {}
        response = getattr(client, method)(
            path, **extra, HTTP_AUTHORIZATION=f"Bearer {device.token}"
        )
    assert response.status_code == 500 and response.json()["code"] == "SERVER_ERROR"


def test_on_redis_a_device_window_expires_with_its_period(api_client, settings, device):
    """The device's window holds the times of its two requests, and goes a period after
    the last one."""
    from core.cache import redis_client

    if redis_client() is None:
        pytest.skip("needs Redis, the production cache")
    settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "node": "600/min"}
    for _ in range(2):
        assert _by_token(api_client, device, PING).status_code == 200
    client_ = redis_client()
    (key,) = client_.keys(f"*throttle_node_device:{device.pk}")
    assert client_.llen(key) == 2 and 0 < client_.ttl(key) <= 60


def test_a_redis_refusing_scripts_still_throttles(api_client, settings, device):
    """NOPERM (an ACL without @scripting): the windows are counted in this process."""
    from limits.storage import RedisStorage
    from redis.exceptions import ResponseError

    settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "node": "2/min"}
    refused = ResponseError("NOPERM this user has no permissions to run the 'evalsha' command")
    with (
        mock.patch.object(RedisStorage, "acquire_entry", side_effect=refused),
        mock.patch.object(RedisStorage, "get_moving_window", side_effect=refused),
    ):
        statuses = [_by_token(api_client, device, PING).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
