"""Fair throttling of the node API: a fleet on one license updating at once is not refused;
guessing keys and tokens is, per address, before the database is asked."""

import pytest
from django.test import override_settings

from core.api import throttles
from devices.services.devices import device_rotate_token
from devices.tests.factories import DeviceFactory
from licensing.models import ApiToken
from licensing.services import api_token_create, license_suspend
from licensing.tests.factories import LicenseFactory, ProductFactory, UserFactory
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
WRONG_KEY = "AAAAAAAA-BBBBBBBB-CCCCCCCC-DDDDDDDD"


@override_settings(RELAIS_THROTTLE_RATES={"license_validate": "120/min", "node": "600/min"})
def test_fifty_devices_on_one_license_update_in_the_same_minute(api_client, local_storage):
    """The CRM client: checks with license key + hardwareId, then downloads and reports
    progress every 10 % with the license key alone. Today's 1,450-request wave of 50 devices
    left 653 refused when reports and downloads shared one bucket per license."""
    license = LicenseFactory(policy__product=ProductFactory(), policy__max_devices=None)
    devices = DeviceFactory.create_batch(50, license=license, app_version="1.0.0")
    release = published_release(product=license.product, version="1.1.0")
    artifact = release.artifacts.get()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {license.key}")
    statuses = []

    def post(session, status, **extra):
        body = {"sessionId": session, "status": status, **extra}
        statuses.append(api_client.post("/api/v1/updates/status", body, format="json").status_code)

    for device in devices:
        query = {"hardwareId": device.hardware_id, "version": "1.0.0", "osVersion": "Windows 10"}
        check = api_client.get("/api/v1/updates/check", query)
        statuses.append(check.status_code)
        session = check.json()["sessionId"]
        statuses.append(api_client.get(f"/api/v1/updates/download/{artifact.pk}").status_code)
        for percent in range(0, 101, 10):
            post(session, "DOWNLOADING", downloadPercent=percent)
        for status in ("DOWNLOADED", "INSTALLING", "COMPLETED"):
            post(session, status)
        statuses.append(api_client.get("/api/v1/updates/check", query).status_code)
    assert len(statuses) == 50 * 17
    assert statuses.count(429) == 0
    assert set(statuses) == {200}


def _api_token_header(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


ROUTES = {
    "check by key": ("get", "/api/v1/updates/check?hardwareId=hw-x&version=1.0.0", WRONG_KEY),
    "check by token": ("get", "/api/v1/updates/check?version=1.0.0", "dvt_" + "x" * 40),
    "status": ("post", "/api/v1/updates/status", WRONG_KEY),
    "download": ("get", "/api/v1/updates/download/00000000-0000-0000-0000-000000000000", WRONG_KEY),
    "ping": ("get", "/api/v1/ping", "dvt_" + "y" * 40),
    "register": ("post", "/api/v1/updates/register-device", WRONG_KEY),
    "manage": ("get", "/api/v1/manage/licenses/", "rlt_" + "z" * 40),
    "commands by site key": ("get", "/api/v1/devices/commands", "a" * 64),
}


@override_settings(RELAIS_THROTTLE_AUTH_FAILURES="30/min")
@pytest.mark.parametrize("route", ROUTES)
def test_guessing_keys_is_throttled_per_address_before_the_database(
    api_client, route, django_assert_num_queries
):
    method, url, credential = ROUTES[route]
    body = {"sessionId": "00000000-0000-0000-0000-000000000001", "status": "DOWNLOADING"}
    if route == "register":
        body = {"hardwareId": "hw-x", "machineName": "PC"}
    call = getattr(api_client, method)
    kwargs = {"format": "json", "data": body} if method == "post" else {}
    statuses = [call(url, **kwargs, **_api_token_header(credential)).status_code for _ in range(30)]
    assert 429 not in statuses and set(statuses) <= {401, 403}
    with django_assert_num_queries(0):  # the guesser pays, not the database
        refused = call(url, **kwargs, **_api_token_header(credential))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0 and refused.json()["code"] == "THROTTLED"
    # Another address is not affected.
    other = call(url, **kwargs, REMOTE_ADDR="10.1.2.3", **_api_token_header(credential))
    assert other.status_code in (401, 403)


@override_settings(RELAIS_THROTTLE_AUTH_FAILURES="30/min")
def test_seven_hundred_wrong_keys_end_in_429s(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {WRONG_KEY}")
    statuses = [
        api_client.get(
            "/api/v1/updates/check", {"hardwareId": "hw", "version": "1.0.0"}
        ).status_code
        for _ in range(700)
    ]
    assert statuses.count(401) == 30 and statuses.count(429) == 670


def test_known_credentials_are_not_counted(api_client):
    device = DeviceFactory()
    with override_settings(RELAIS_THROTTLE_AUTH_FAILURES="2/min"):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
        assert {api_client.get("/api/v1/ping").status_code for _ in range(5)} == {200}
    assert not ApiToken.objects.exists()


# --- One device guessing wrong does not lock out the office behind the same address -----

PING = "/api/v1/ping"
GUESS = _api_token_header("dvt_" + "g" * 40)


@override_settings(RELAIS_THROTTLE_AUTH_FAILURES="30/min")
def test_valid_credentials_from_an_address_past_the_limit_still_pass(
    api_client, django_assert_num_queries
):
    by_token, by_key = DeviceFactory.create_batch(2)
    user = UserFactory(is_superuser=True)
    manager = _api_token_header(api_token_create(user=user).token)
    token = _api_token_header(by_token.token)
    key = _api_token_header(by_key.license.key)
    key_query = {"hardwareId": by_key.hardware_id}
    # The office's installations and its manager were at work before the guessing began.
    assert api_client.get(PING, **token).status_code == 200
    assert api_client.get(PING, key_query, **key).status_code == 200
    assert api_client.get("/api/v1/manage/licenses/", **manager).status_code == 200

    assert {api_client.get(PING, **GUESS).status_code for _ in range(30)} == {403}
    with django_assert_num_queries(0):  # the guesser still pays, not the database
        refused = api_client.get(PING, **GUESS)
    assert refused.status_code == 429 and refused.json()["code"] == "THROTTLED"
    assert api_client.get(PING, **token).status_code == 200
    assert api_client.get(PING, key_query, **key).status_code == 200
    assert api_client.get(PING, **key).status_code == 200  # the license key alone
    assert api_client.get("/api/v1/manage/licenses/", **manager).status_code == 200
    with django_assert_num_queries(0):
        assert api_client.get(PING, **GUESS).status_code == 429


@override_settings(RELAIS_THROTTLE_AUTH_FAILURES="30/min")
def test_past_the_limit_a_known_credential_is_still_verified(api_client, django_assert_num_queries):
    suspended, rotated, unseen = DeviceFactory.create_batch(3)
    old_token = _api_token_header(rotated.token)
    for device in (suspended, rotated):
        assert api_client.get(PING, **_api_token_header(device.token)).status_code == 200
    license_suspend(license=suspended.license)
    device_rotate_token(device=rotated)
    assert {api_client.get(PING, **GUESS).status_code for _ in range(30)} == {403}

    # Suspended: looked up, and refused as such.
    response = api_client.get(PING, **_api_token_header(suspended.token))
    assert response.status_code == 403 and response.json()["code"] == "SUSPENDED"
    # Rotated away: looked up once, refused, and forgotten: then refused without a query.
    assert api_client.get(PING, **old_token).status_code == 403
    with django_assert_num_queries(0):
        assert api_client.get(PING, **old_token).status_code == 429
    # The limitation (README, Security): a valid credential never seen to authenticate,
    # first used from an address past the limit, waits for the window like a guess.
    with django_assert_num_queries(0):
        assert api_client.get(PING, **_api_token_header(unseen.token)).status_code == 429
    # From another address it passes, and is known from then on.
    elsewhere = api_client.get(PING, REMOTE_ADDR="10.1.2.3", **_api_token_header(unseen.token))
    assert elsewhere.status_code == 200
    assert api_client.get(PING, **_api_token_header(unseen.token)).status_code == 200


@override_settings(RELAIS_THROTTLE_AUTH_FAILURES="30/min")
def test_a_credential_known_through_the_cache_passes_in_another_process(api_client):
    """Another worker process saw the token authenticate: this one reads it in the cache,
    in the same read as the address's block."""
    device = DeviceFactory()
    assert api_client.get(PING, **_api_token_header(device.token)).status_code == 200
    assert {api_client.get(PING, **GUESS).status_code for _ in range(30)} == {403}
    throttles._known.clear()  # what this process saw: as another process, it saw nothing
    assert api_client.get(PING, **_api_token_header(device.token)).status_code == 200


@override_settings(
    RELAIS_THROTTLE_AUTH_FAILURES="30/min",
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    },
)
def test_with_the_cache_down_guessing_is_still_refused_in_each_process(
    api_client, django_assert_num_queries, caplog
):
    """Redis down: the failures were not counted at all (150 wrong keys, 150 lookups); now
    each process counts them itself, and knows the credentials it saw authenticate."""
    device = DeviceFactory()
    assert api_client.get(PING, **_api_token_header(device.token)).status_code == 200
    assert {api_client.get(PING, **GUESS).status_code for _ in range(30)} == {403}
    with django_assert_num_queries(0):
        refused = [api_client.get(PING, **GUESS).status_code for _ in range(120)]
    assert set(refused) == {429}
    assert api_client.get(PING, **_api_token_header(device.token)).status_code == 200
    assert "cache unavailable" in caplog.text
