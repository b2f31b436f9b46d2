"""Admin login protection (django-axes): wrong passwords lock the account from that
address, and the address, for a cool-off; the API and the test helpers are unaffected."""

import ipaddress

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.test import Client

from licensing.services import api_token_create
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "pw-for-tests-1"  # UserFactory's
LOCKED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.RELAIS_TRUSTED_PROXIES = ()


def _login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_wrong_passwords_then_the_right_one_is_refused_with_a_message():
    user = UserFactory(is_superuser=True)
    client = Client()
    for _ in range(4):
        response = _login(client, user.username, "wrong")
        assert response.status_code == 200  # the login form again, with its error
    assert _login(client, user.username, "wrong").status_code == 429  # the 5th locks
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert not _logged_in(client)
    # In French too.
    response = _login(client, user.username, PASSWORD, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.content.decode()


def test_under_the_limit_the_right_password_logs_in_and_resets_the_count():
    user = UserFactory(is_superuser=True)
    client = Client()
    for _ in range(4):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, PASSWORD).status_code == 302
    assert _logged_in(client)


def test_an_address_trying_many_usernames_is_locked_for_all():
    user = UserFactory(is_superuser=True)
    client = Client()
    for n in range(5):
        _login(client, f"guess{n}", "wrong")
    assert _login(client, user.username, PASSWORD).status_code == 429
    # The account itself is not locked: its owner logs in from elsewhere.
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert _login(elsewhere, user.username, PASSWORD).status_code == 302


def test_behind_proxies_the_client_address_is_the_forwarded_one(settings):
    settings.RELAIS_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/24"),)
    user = UserFactory(is_superuser=True)
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        _login(Client(), user.username, "wrong", **attacker)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"
    assert _login(Client(), user.username, PASSWORD, **attacker).status_code == 429
    # Same proxy, another client: not locked.
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.4", "REMOTE_ADDR": "10.0.0.2"}
    assert _login(Client(), user.username, PASSWORD, **other).status_code == 302
    # A forged header is not taken for an address: forged behind the proxy's own record, the
    # proxy that recorded it is the client.
    forged = "not-an-ip, 10.0.0.9"
    _login(Client(), "x", "wrong", HTTP_X_FORWARDED_FOR=forged, REMOTE_ADDR="10.0.0.3")
    assert AccessAttempt.objects.filter(username="x").get().ip_address == "10.0.0.9"
    # Nor from a client that reaches the server without the proxy.
    direct = {"HTTP_X_FORWARDED_FOR": "198.51.100.4", "REMOTE_ADDR": "203.0.113.77"}
    _login(Client(), "y", "wrong", **direct)
    assert AccessAttempt.objects.filter(username="y").get().ip_address == "203.0.113.77"


def test_a_locked_address_still_uses_the_api_and_tests_still_force_login(api_client):
    user = UserFactory(is_superuser=True)
    for _ in range(6):
        _login(Client(), user.username, "wrong")
    token = api_token_create(user=user).token
    response = api_client.get("/api/v1/manage/licenses/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    client = Client()
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/manage/licenses/").status_code == 200


def test_login_records_are_the_platforms_only():
    for _ in range(2):
        _login(Client(), "someone", "wrong")
    tenant_user = UserFactory(tenant=TenantFactory())
    tenant_user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__startswith="view_")
    )
    client = Client()
    client.force_login(tenant_user)
    response = client.get("/admin/axes/accessattempt/")
    assert "someone" not in response.content.decode()
    platform = Client()
    platform.force_login(UserFactory(is_superuser=True))
    response = platform.get("/admin/axes/accessattempt/")
    assert response.status_code == 200 and "someone" in response.content.decode()
