"""Keys and tokens the admin creates are shown once, on a one-time page, and kept nowhere:
not in the session, not in the messages cookie (signed, not encrypted)."""

import re

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.test import Client

from devices.tests.factories import DeviceFactory
from licensing.models import License
from licensing.services import license_status_code
from licensing.tests.factories import LicenseFactory, PolicyFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"\b[0-9A-Z]{8}(?:-[0-9A-Z]{8}){3}\b")
TOKEN_RE = re.compile(r"\bdvt_[A-Za-z0-9_\-]+")
SECRET_URL = re.compile(r"^/admin/secret/[A-Za-z0-9_\-]{40,}/$")


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def _kept_anywhere(client, secret: str) -> list[str]:
    """Where `secret` sits between requests: session rows, the messages cookie."""
    places = []
    for session in Session.objects.all():
        if secret in str(session.get_decoded()) or secret in session.session_data:
            places.append("session")
    cookie = client.cookies.get("messages")
    if cookie is not None and cookie.value:
        decoded = CookieStorage(HttpRequest())._decode(cookie.value) or []
        if secret in cookie.value or any(secret in str(m) for m in decoded):
            places.append("messages cookie")
    return places


def _show_once(client, url: str, pattern) -> str:
    assert SECRET_URL.match(url), url
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = pattern.findall(response.content.decode())
    assert len(found) == 1, found
    again = client.get(url)
    assert again.status_code == 404
    assert "no longer available" in again.content.decode()
    assert not pattern.search(again.content.decode())
    return found[0]


def test_license_issued_in_the_admin_shows_its_key_once(admin_client):
    tenant, policy = TenantFactory(), PolicyFactory()
    response = admin_client.post(
        "/admin/licensing/license/add/",
        {"tenant": tenant.pk, "policy": policy.pk, "name": "Front desk"},
    )
    assert response.status_code == 302, response.content[:2000]
    license = License.objects.get(tenant=tenant)
    # The key is known only from the page: look for it where it must not be, by its prefix.
    assert _kept_anywhere(admin_client, license.key_prefix) == []
    key = _show_once(admin_client, response["Location"], KEY_RE)
    assert key.startswith(license.key_prefix)
    assert license_status_code(License.objects.get(pk=license.pk)) == "VALID"


def test_regenerate_key_action_shows_the_new_keys_once(admin_client):
    licenses = [LicenseFactory(name="A"), LicenseFactory(name="B")]
    response = admin_client.post(
        "/admin/licensing/license/",
        {"action": "regenerate_key", "_selected_action": [lic.pk for lic in licenses]},
    )
    assert response.status_code == 302
    for lic in licenses:
        lic.refresh_from_db()
        assert _kept_anywhere(admin_client, lic.key_prefix) == []
    page = admin_client.get(response["Location"]).content.decode()
    keys = KEY_RE.findall(page)
    assert sorted(k[:8] for k in keys) == sorted(lic.key_prefix for lic in licenses)
    assert admin_client.get(response["Location"]).status_code == 404


def test_rotate_token_action_shows_the_token_once(admin_client):
    device = DeviceFactory()
    old_prefix = device.token_prefix
    response = admin_client.post(
        "/admin/devices/device/", {"action": "rotate_token", "_selected_action": [device.pk]}
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.token_prefix != old_prefix
    assert _kept_anywhere(admin_client, device.token_prefix) == []
    token = _show_once(admin_client, response["Location"], TOKEN_RE)
    assert token.startswith(device.token_prefix)


def test_the_secret_page_is_only_for_the_user_who_created_it(admin_client):
    response = admin_client.post(
        "/admin/licensing/license/",
        {"action": "regenerate_key", "_selected_action": [LicenseFactory().pk]},
    )
    url = response["Location"]
    other = Client()
    other.force_login(UserFactory(is_superuser=True, username="other-root"))
    assert other.get(url).status_code == 404  # and does not spend it
    anonymous = Client()
    assert anonymous.get(url).status_code == 302  # to the login page
    assert KEY_RE.search(admin_client.get(url).content.decode())
