"""The tenancy proof every app reuses: tenant A's staff can neither see nor change
tenant B's rows, through the admin or the management API.

Each app's `tests/factories.py` declares `TENANT_FACTORIES = {model: make(tenant)}` for
its models holding tenant data; `test_tenancy.py` runs the proof over all of them.
"""

import importlib

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from licensing.tests.factories import UserFactory

APPS = [
    "core",
    "licensing",
    "devices",
    "releases",
    "telemetry",
    "webhooks",
    "commands",
    "documents",
    "notifications",
]


def tenant_factories() -> dict:
    found = {}
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.tests.factories")
        except ModuleNotFoundError:
            continue
        found.update(getattr(module, "TENANT_FACTORIES", {}))
    return found


def staff_of(tenant, model):
    """Tenant staff holding every permission on `model`: only scoping can stop them."""
    user = UserFactory(tenant=tenant)
    content_type = ContentType.objects.get_for_model(model)
    user.user_permissions.add(*Permission.objects.filter(content_type=content_type))
    return user


def _snapshot(obj):
    fresh = type(obj)._base_manager.filter(pk=obj.pk).values().first()
    return fresh


def assert_admin_isolated(client, obj):
    """`client` is logged in as another tenant's staff."""
    meta = obj._meta
    before = _snapshot(obj)
    base = f"admin:{meta.app_label}_{meta.model_name}"
    response = client.get(reverse(f"{base}_changelist"))
    assert response.status_code == 200
    listed = [row.pk for row in response.context["cl"].result_list]
    assert obj.pk not in listed, f"{meta.label}: another tenant's row is listed"
    if not isinstance(obj.pk, int):  # a UUID is unique enough to look for in the page
        assert str(obj.pk) not in response.content.decode(), (
            f"{meta.label}: another tenant's row appears on the list page (a filter?)"
        )
    for view in ("change", "delete", "history"):
        url = reverse(f"{base}_{view}", args=[obj.pk])
        response = client.get(url)
        assert response.status_code in (302, 403, 404), (
            f"{meta.label} {view}: {response.status_code}"
        )
        response = client.post(url, {"post": "yes", "name": "hijacked"})
        assert response.status_code in (302, 403, 404)
    response = client.post(
        reverse(f"{base}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert _snapshot(obj) == before, f"{meta.label}: another tenant's row was changed"


def assert_api_isolated(client, list_url, obj):
    before = _snapshot(obj)
    response = client.get(list_url, {"limit": 1000})
    assert response.status_code == 200
    ids = {str(row["id"]) for row in response.json()["results"]}
    assert str(obj.pk) not in ids, f"{list_url}: another tenant's row is listed"
    detail = f"{list_url}{obj.pk}/"
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"name": "hijacked"}, format="json").status_code in (403, 404, 405)
    assert client.delete(detail).status_code in (403, 404, 405)
    assert _snapshot(obj) == before, f"{list_url}: another tenant's row was changed"
