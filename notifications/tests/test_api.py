"""Recipients through the management API: tenant staff manage their tenant's (pinned to it,
whatever they send), bad input gets a JSON error with a code, writes record events. The
generic tenancy proof (licensing/tests/test_tenancy.py) covers the route and the admin."""

import pytest
from rest_framework.test import APIClient

from core.models import Event
from licensing.tests.factories import TenantFactory
from licensing.tests.tenancy import staff_of
from notifications.models import Recipient
from notifications.services.recipients import recipient_unsubscribe

from .factories import RecipientFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/manage/notification-recipients/"


@pytest.fixture
def tenant():
    return TenantFactory()


@pytest.fixture
def staff_client(tenant):
    client = APIClient()
    client.force_authenticate(staff_of(tenant, Recipient))
    return client


def test_tenant_staff_add_a_recipient_to_their_own_tenant(staff_client, tenant):
    other = TenantFactory()
    body = {"email": "it@acme.example", "kinds": ["alerts"]}
    refused = staff_client.post(URL, body | {"tenant": str(other.pk)}, format="json")
    assert refused.status_code == 400 and not Recipient.objects.exists()
    response = staff_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    recipient = Recipient.objects.get()
    assert recipient.tenant == tenant and recipient.kinds == ["alerts"]
    assert Event.objects.filter(type="recipient.created", tenant=tenant).exists()


def test_every_kind_by_default_and_changes_recorded(staff_client, tenant):
    response = staff_client.post(URL, {"email": "it@acme.example"}, format="json")
    recipient_id = response.json()["id"]
    assert response.json()["kinds"] == ["alerts", "licenses", "rollouts", "updates"]
    response = staff_client.patch(f"{URL}{recipient_id}/", {"kinds": []}, format="json")
    assert response.status_code == 200 and response.json()["kinds"] == []
    assert Event.objects.get(type="recipient.updated").payload["changed"] == ["kinds"]
    assert staff_client.delete(f"{URL}{recipient_id}/").status_code == 204
    assert not Recipient.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not an email"},
        {"email": "it@acme.example", "kinds": ["everything"]},
        {"email": "it@acme.example", "kinds": "alerts"},
        {"email": "it@acme.example", "unsubscribed_at": None, "surprise": 1},
    ],
    ids=["email", "unknown kind", "kinds not a list", "unknown field"],
)
def test_bad_input_is_a_json_error_with_a_code(staff_client, body):
    response = staff_client.post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["code"]
    assert not Recipient.objects.exists()


def test_the_same_email_twice_in_a_tenant_is_refused(staff_client, tenant):
    RecipientFactory(tenant=tenant, email="it@acme.example")
    response = staff_client.post(URL, {"email": "it@acme.example"}, format="json")
    assert response.status_code == 400 and response.json()["code"]


def test_staff_cannot_undo_an_unsubscription(staff_client, tenant):
    recipient = recipient_unsubscribe(recipient=RecipientFactory(tenant=tenant))
    response = staff_client.patch(
        f"{URL}{recipient.pk}/", {"unsubscribed_at": None, "is_active": True}, format="json"
    )
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    assert response.status_code in (200, 400)


def test_platform_staff_set_a_tenants_language(platform_client, tenant, settings):
    url = f"/api/v1/manage/tenants/{tenant.pk}/"
    assert platform_client.get(url).json()["language"] == settings.LANGUAGE_CODE == "en"
    settings.LANGUAGE_CODE = "fr"  # RELAIS_DEFAULT_LANGUAGE: new tenants start in French
    created = platform_client.post(
        "/api/v1/manage/tenants/", {"name": "Martin", "slug": "martin"}, format="json"
    )
    assert created.status_code == 201 and created.json()["language"] == "fr"
    response = platform_client.patch(url, {"language": "fr"}, format="json")
    assert response.status_code == 200 and response.json()["language"] == "fr"
    tenant.refresh_from_db()
    assert tenant.language == "fr"
    assert Event.objects.get(type="tenant.updated").payload["changed"] == ["language"]
    refused = platform_client.patch(url, {"language": "de"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"]
