"""The backoffice's sidebar: models grouped by task, from each admin's `nav_group`."""

import pytest
from django.contrib import admin

from core.admin_site import NAV_GROUPS
from licensing.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sidebar(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return {
        str(group["title"]): [str(item["title"]) for item in group["items"]]
        for group in response.context["sidebar_navigation"]
    }


def test_every_admin_names_its_group():
    missing = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if getattr(model_admin, "nav_group", None) not in NAV_GROUPS
        or model_admin.nav_group == "other"
    ]
    assert missing == []


def test_platform_staff_see_the_models_grouped_by_task(client):
    sidebar = _sidebar(client, UserFactory(is_superuser=True))
    assert list(sidebar) == [
        "Fleet",
        "Releases & rollouts",
        "Licensing",
        "Integrations",
        "Security",
    ]
    assert sidebar["Fleet"][0] == "Devices"
    assert {"Releases", "Rollouts", "Update sessions"} <= set(sidebar["Releases & rollouts"])
    assert {"Access attempts", "Access logs", "Access failures", "Events"} <= set(
        sidebar["Security"]
    )
    assert {"Webhook endpoints", "API tokens"} <= set(sidebar["Integrations"])


def test_tenant_staff_see_only_what_they_may(client):
    sidebar = _sidebar(client, UserFactory(tenant=TenantFactory()))
    items = {item for items in sidebar.values() for item in items}
    assert "Devices" in items and "Licenses" in items
    assert not {"Access attempts", "Access logs", "Groups"} & items, items
    # The index lists no model boxes below the dashboard: the sidebar is the navigation.
    page = client.get("/admin/").content.decode()
    assert 'id="relais-dashboard"' in page


def test_audit_view_filters_by_actor_object_and_type(client):
    from core.models import Event
    from core.services.events import publish

    tenant = TenantFactory()
    alice, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    publish("license.suspended", tenant=tenant, payload={"licenseId": "L-1"}, actor=alice)
    publish("license.revoked", tenant=tenant, payload={"licenseId": "L-2"}, actor=bob)
    publish("license.revoked", tenant=TenantFactory(), payload={"licenseId": "L-3"}, actor=None)
    client.force_login(UserFactory(is_superuser=True))
    url = "/admin/core/event/"

    def listed(query):
        response = client.get(url + query)
        assert response.status_code == 200
        return sorted(e.payload["licenseId"] for e in response.context["cl"].result_list)

    assert listed(f"?actor__id__exact={alice.pk}") == ["L-1"]
    assert listed("?q=L-2") == ["L-2"]
    assert listed("?type=license.revoked") == ["L-2", "L-3"]
    assert "licenseId: L-1" in client.get(url).content.decode()
    # Tenant staff (with the permission) see their tenant's events only.
    from licensing.tests.tenancy import staff_of

    client.force_login(staff_of(tenant, Event))
    assert listed("") == ["L-1", "L-2"]
