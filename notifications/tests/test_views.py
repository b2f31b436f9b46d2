"""The unsubscribe link: GET asks (a mail scanner following it changes nothing), POST does
(the page's button, or a mail client's RFC 8058 one-click); only a signed token works."""

import pytest
from django.core import signing

from core.models import Event
from licensing.tests.factories import TenantFactory
from notifications.models import Recipient
from notifications.services.digests import unsubscribe_url
from notifications.services.recipients import UNSUBSCRIBE_SALT

from .factories import RecipientFactory

pytestmark = pytest.mark.django_db


def _path(recipient):
    return "/" + unsubscribe_url(recipient).split("/", 3)[3]


def test_get_asks_post_unsubscribes(client):
    recipient = RecipientFactory(tenant=TenantFactory(language="en"))
    response = client.get(_path(recipient))
    assert response.status_code == 200 and b'<form method="post">' in response.content
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is None
    response = client.post(_path(recipient))
    assert response.status_code == 200 and b"receives no more notifications" in response.content
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None and not recipient.receives
    assert Event.objects.filter(type="recipient.unsubscribed").count() == 1
    client.post(_path(recipient))  # twice: one event
    assert Event.objects.filter(type="recipient.unsubscribed").count() == 1


def test_the_page_speaks_the_tenants_language(client):
    recipient = RecipientFactory(tenant=TenantFactory(language="fr"))
    response = client.get(_path(recipient))
    assert "Se désabonner" in response.content.decode()


def test_one_click_post_needs_no_csrf_token():
    from django.test import Client

    recipient = RecipientFactory()
    response = Client(enforce_csrf_checks=True).post(
        _path(recipient), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        signing.dumps(1, salt="another.salt"),
        signing.dumps("1", salt=UNSUBSCRIBE_SALT),
        signing.dumps(999999, salt=UNSUBSCRIBE_SALT),
    ],
    ids=["garbage", "other salt", "not an id", "unknown recipient"],
)
def test_a_forged_or_stale_token_unsubscribes_no_one(client, token):
    recipient = RecipientFactory(pk=1) if not Recipient.objects.filter(pk=1).exists() else None
    response = client.post(f"/notifications/unsubscribe/{token}")
    assert response.status_code == 400
    assert not Recipient.objects.filter(unsubscribed_at__isnull=False).exists()
    assert recipient is None or recipient.receives


def test_a_token_names_one_recipient_of_one_tenant(client):
    ours = RecipientFactory(tenant=TenantFactory(), email="same@example.com")
    theirs = RecipientFactory(tenant=TenantFactory(), email="same@example.com")
    client.post(_path(ours))
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.unsubscribed_at is not None and theirs.unsubscribed_at is None


def test_other_methods_are_refused(client):
    recipient = RecipientFactory()
    assert client.put(_path(recipient)).status_code == 405
