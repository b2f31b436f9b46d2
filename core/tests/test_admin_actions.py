import pytest

from core.models import Event
from licensing.models import Tenant

pytestmark = pytest.mark.django_db


def test_a_tenant_added_inactive_in_the_admin_is_inactive(admin_client):
    response = admin_client.post(
        "/admin/licensing/tenant/add/", {"name": "Dormant", "slug": "dormant", "language": "en"}
    )  # "Is active" unchecked: absent from the form data
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="dormant")
    assert tenant.is_active is False
    assert list(
        Event.objects.filter(tenant=tenant).order_by("created_at").values_list("type", flat=True)
    ) == ["tenant.created", "tenant.deactivated"]


def test_a_refusal_in_the_admin_is_a_message_not_an_error_page(admin_client):
    from licensing.tests.factories import PolicyFactory

    policy = PolicyFactory()
    policy.product.is_active = False
    policy.product.save()
    response = admin_client.post(
        "/admin/licensing/policy/add/",
        {
            "product": policy.product.pk,
            "name": "Late",
            "grace_period": "0",
            "entitlements": "[]",
            "offline_validity": "30 00:00:00",  # the form's initial value
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "INACTIVE" in response.content.decode()
