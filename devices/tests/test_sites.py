"""register-site and resync over HTTP, as the agent's scripts call them."""

import re

import pytest

from core.models import Event
from devices.models import Device
from licensing.keys import secret_hash

from .sites import PASSWORD, PROFILE, neopro_fleet, registered_site

pytestmark = pytest.mark.django_db
REGISTER = "/api/v1/sites/register"
RESYNC = "/api/v1/sites/resync"


def _register(client, fleet, **extra):
    body = {"email": fleet.staff.email, "password": PASSWORD, **PROFILE} | extra
    return client.post(REGISTER, body, format="json")


def test_register_site_returns_the_site_conf_once_and_stores_only_a_hash(api_client):
    fleet = neopro_fleet()
    response = _register(api_client, fleet, sports="football,futsal")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{64}", body["SITE_API_KEY"])
    assert body["SITE_ID"] == body["siteId"]
    config = body["config"]
    assert config["SITE_NAME"] == "Site Rennes" and config["SPORTS"] == "football,futsal"
    assert config["LOCATION_REGION"] == "Bretagne" and config["SITE_API_KEY"] == body["apiKey"]
    site = Device.objects.get(pk=body["SITE_ID"])
    assert site.tenant == fleet.tenant and site.license == fleet.license
    assert site.token_hash == secret_hash(body["SITE_API_KEY"])
    assert body["SITE_API_KEY"] not in str(site.metadata)
    event = Event.objects.get(type="site.registered")
    assert event.actor == fleet.staff


def test_wrong_password_and_unknown_email_answer_the_same(api_client):
    fleet = neopro_fleet()
    wrong = _register(api_client, fleet, password="nope")
    unknown = _register(api_client, fleet, email="nobody@club.fr")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "code": "INVALID_CREDENTIALS",
            "message": "Invalid email or password.",
        }
    )
    assert not Device.objects.exists() and not Event.objects.exists()


def test_staff_without_the_permission_is_refused(api_client):
    from licensing.tests.factories import UserFactory

    fleet = neopro_fleet()
    outsider = UserFactory(tenant=fleet.tenant, email="intern@club.fr")
    outsider.groups.clear()  # staff of the tenant, without the tenant staff role
    response = _register(api_client, fleet, email=outsider.email)
    assert response.status_code == 403
    assert not Device.objects.exists()


def test_registration_takes_a_seat(api_client):
    fleet = neopro_fleet(seats=1)
    assert _register(api_client, fleet).status_code == 201
    response = _register(api_client, fleet, siteName="Site Brest")
    assert response.status_code == 403 and response.json()["code"] == "TOO_MANY_DEVICES"
    assert Device.objects.count() == 1


def test_platform_staff_name_the_tenant(api_client, platform_admin):
    fleet = neopro_fleet()
    platform_admin.email = "root@relais.dev"
    platform_admin.set_password(PASSWORD)
    platform_admin.save()
    body = {"email": platform_admin.email, "password": PASSWORD, **PROFILE}
    refused = api_client.post(REGISTER, body, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "TENANT_REQUIRED"
    body["tenant"] = str(fleet.tenant.pk)
    assert api_client.post(REGISTER, body, format="json").status_code == 201


def test_bad_input_writes_nothing(api_client):
    fleet = neopro_fleet()
    response = _register(api_client, fleet, siteName="", unknownField=1)
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
    assert "siteName" in response.json()["errors"]
    unknown = _register(api_client, fleet, unknownField=1)
    assert unknown.status_code == 400 and "unknownField" in unknown.json()["errors"]
    assert not Device.objects.exists()


def test_resync_gives_a_new_key_and_kills_the_old_one(api_client):
    fleet = neopro_fleet()
    site, old_key = registered_site(fleet)
    body = {"email": fleet.staff.email, "password": PASSWORD, "siteId": str(site.pk)}
    response = api_client.post(RESYNC, body, format="json")
    assert response.status_code == 200
    new_key = response.json()["SITE_API_KEY"]
    assert new_key != old_key
    old = api_client.get("/api/v1/devices/commands", HTTP_AUTHORIZATION=f"Bearer {old_key}")
    assert old.status_code == 401 and old.json()["message"] == "Clé API invalide"
    new = api_client.get("/api/v1/devices/commands", HTTP_AUTHORIZATION=f"Bearer {new_key}")
    assert new.status_code == 200
    assert Event.objects.filter(type="site.key_rotated", actor=fleet.staff).exists()


def test_resync_of_another_tenants_site_is_not_found(api_client):
    mine, theirs = neopro_fleet(), neopro_fleet()
    site, key = registered_site(theirs)
    body = {"email": mine.staff.email, "password": PASSWORD, "siteId": str(site.pk)}
    response = api_client.post(RESYNC, body, format="json")
    assert response.status_code == 404 and response.json()["code"] == "SITE_NOT_FOUND"
    site.refresh_from_db()
    assert site.token_hash == secret_hash(key)
    body["siteId"] = "not-a-uuid"
    assert api_client.post(RESYNC, body, format="json").status_code == 404


def test_throttled_per_address_and_per_account(api_client, settings):
    fleet = neopro_fleet()
    settings.RELAIS_THROTTLE_RATES = {
        **settings.RELAIS_THROTTLE_RATES,
        "site_auth": "100/min",
        "site_auth_account": "3/min",
    }
    for _ in range(3):
        assert _register(api_client, fleet, password="guess").status_code == 401
    blocked = _register(api_client, fleet)  # the right password, but the account is locked
    assert blocked.status_code == 429 and blocked.json()["code"] == "THROTTLED"
    assert "Retry-After" in blocked
    # Another account from the same address still passes under the address's rate.
    other = neopro_fleet()
    assert _register(api_client, other).status_code == 201
    settings.RELAIS_THROTTLE_RATES = {**settings.RELAIS_THROTTLE_RATES, "site_auth": "1/min"}
    assert _register(api_client, other, email="x@y.fr").status_code == 429
