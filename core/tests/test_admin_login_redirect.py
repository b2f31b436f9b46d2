"""After a staff login, a `next=` the site refuses (another host) lands on the admin's
index, a page that exists, not on Django's default `/accounts/profile/`."""

import pytest
from django.contrib.auth.views import redirect_to_login
from django.test import Client

from licensing.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"  # UserFactory's


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_a_login_with_an_outside_next_lands_on_the_admin(next_url):
    user = UserFactory(is_superuser=True)
    client = Client()
    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200


def test_a_page_needing_a_login_sends_to_the_admin_login():
    response = redirect_to_login("/admin/secret/x/")
    assert response["Location"].startswith("/admin/login/?next=")
    assert Client().get(response["Location"]).status_code == 200
