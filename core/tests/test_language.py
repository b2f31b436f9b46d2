"""The backoffice's language: a tenant's staff get their tenant's unless they pick another;
platform staff follow their browser."""

import pytest
from django.utils import translation

from licensing.services import tenant_update
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after():
    yield
    translation.activate("en")


def _home(client, **headers):
    response = client.get("/admin/", **headers)
    assert response.status_code == 200
    return response


def test_french_tenant_staff_get_french_by_default(client):
    client.force_login(UserFactory(tenant=TenantFactory(language="fr")))
    response = _home(client, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "fr"
    assert "Tableau de bord" in response.content.decode()


def test_the_language_switch_wins_and_is_remembered(client):
    client.force_login(UserFactory(tenant=TenantFactory(language="fr")))
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert switched.status_code == 302
    assert _home(client)["Content-Language"] == "en"


def test_tenant_staff_get_their_tenants_platform_staff_their_browsers(client):
    client.force_login(UserFactory(tenant=TenantFactory(language="en")))
    assert _home(client, HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "en"
    client.force_login(UserFactory(is_superuser=True))
    assert _home(client, HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "fr"


def test_a_tenants_new_language_applies_at_once(client):
    tenant = TenantFactory(language="en")
    client.force_login(UserFactory(tenant=tenant))
    assert _home(client)["Content-Language"] == "en"
    tenant_update(tenant=tenant, language="fr")
    assert _home(client)["Content-Language"] == "fr"
