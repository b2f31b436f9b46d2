import uuid

import pytest
from django.contrib import admin
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps
from rest_framework.test import APIClient

from config.urls import MANAGE_ROUTERS
from core.tenancy import holds_tenant_data
from licensing.tests.factories import TenantFactory, UserFactory
from licensing.tests.tenancy import (
    assert_admin_isolated,
    assert_api_isolated,
    staff_of,
    tenant_factories,
)

pytestmark = pytest.mark.django_db

FACTORIES = tenant_factories()
ADMIN_MODELS = [m for m in admin.site._registry if holds_tenant_data(m)]
API_ROUTES = [
    (prefix, viewset)
    for router in MANAGE_ROUTERS
    for prefix, viewset, _ in router.registry
    if holds_tenant_data(viewset.queryset.model)
]


def test_every_tenant_model_has_a_factory_for_the_proof():
    missing = [m._meta.label for m in ADMIN_MODELS if m not in FACTORIES]
    assert not missing, f"add these to TENANT_FACTORIES: {missing}"


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_hides_other_tenants_rows(client, model):
    tenant_a, tenant_b = TenantFactory(), TenantFactory()
    theirs = FACTORIES[model](tenant_b)
    ours = FACTORIES[model](tenant_a)
    client.force_login(staff_of(tenant_a, model))
    assert_admin_isolated(client, theirs)
    response = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    assert ours.pk in [row.pk for row in response.context["cl"].result_list]


@pytest.mark.parametrize(("prefix", "viewset"), API_ROUTES, ids=lambda v: str(v))
def test_api_hides_other_tenants_rows(prefix, viewset):
    model = viewset.queryset.model
    tenant_a, tenant_b = TenantFactory(), TenantFactory()
    theirs = FACTORIES[model](tenant_b)
    ours = FACTORIES[model](tenant_a)
    client = APIClient()
    client.force_authenticate(staff_of(tenant_a, model))
    url = f"/api/v1/manage/{prefix}/"
    assert_api_isolated(client, url, theirs)
    ids = {str(row["id"]) for row in client.get(url).json()["results"]}
    assert str(ours.pk) in ids


def test_tenant_staff_foreign_key_choices_are_scoped(client):
    from licensing.models import User

    client.force_login(staff_of(TenantFactory(), User))
    response = client.get("/admin/licensing/user/add/")
    assert response.status_code == 200
    assert "tenant" not in response.context["adminform"].form.fields


def test_platform_staff_see_every_tenant(platform_client):
    tenant_a, tenant_b = TenantFactory(), TenantFactory()
    ids = {row["id"] for row in platform_client.get("/api/v1/manage/tenants/").json()["results"]}
    assert {str(tenant_a.pk), str(tenant_b.pk)} <= ids


@isolate_apps("licensing")
def test_system_check_flags_an_unscoped_tenant_model():
    from core.checks import tenant_scoping_check
    from licensing.models import Tenant

    class Leaky(models.Model):
        tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)

        class Meta:
            app_label = "licensing"

        def __str__(self):
            return "leaky"

    from django.apps import apps

    original = apps.get_models
    apps.get_models = lambda: [Leaky]
    try:
        errors = tenant_scoping_check()
    finally:
        apps.get_models = original
    assert [e.id for e in errors] == ["relais.E001"]
    assert all(isinstance(e, checks.Error) for e in errors)


def test_system_check_passes_on_the_project():
    from core.checks import tenant_scoping_check

    assert tenant_scoping_check() == []


def _tenant_relations(model) -> set[str]:
    """Foreign keys and many-to-many fields of `model` that point at tenant data."""
    return {
        f.name
        for f in model._meta.get_fields()
        if f.concrete and (f.many_to_one or f.many_to_many) and holds_tenant_data(f.related_model)
    }


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_foreign_key_choices_hold_only_the_staffs_tenant(client, model):
    """On the add page and on the change page of one of their own rows, every relation to
    tenant data is either a choice holding only the staff's tenant's rows, or not a
    choice at all (read-only or hidden). Every such relation is visited."""
    from django.forms import ModelChoiceField

    tenant_a, tenant_b = TenantFactory(), TenantFactory()
    for make in FACTORIES.values():  # every kind of tenant row exists in B
        make(tenant_b)
    ours = FACTORIES[model](tenant_a)
    client.force_login(staff_of(tenant_a, model))
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}"
    relations = _tenant_relations(model)
    pages = 0
    for url in (f"{base}/add/", f"{base}/{ours.pk}/change/"):
        response = client.get(url)
        if response.status_code == 403 and url.endswith("/add/"):
            continue  # nobody adds these by hand (devices register, events are written)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        pages += 1
        fields = response.context["adminform"].form.fields
        for name in relations:
            field = fields.get(name)
            if field is None:
                continue  # read-only or hidden: not a choice
            assert isinstance(field, ModelChoiceField), f"{model._meta.label}.{name}"
            leaked = [obj for obj in field.queryset if _tenant_of(obj) == tenant_b.pk]
            assert not leaked, f"{model._meta.label}.{name} offers tenant B's {leaked}"
            assert [obj for obj in field.queryset if _tenant_of(obj) == tenant_a.pk] or (
                name == "tenant"
            ), f"{model._meta.label}.{name} offers none of the staff's own rows"
        for name, field in fields.items():
            if isinstance(field, ModelChoiceField) and holds_tenant_data(field.queryset.model):
                assert name in relations, f"{model._meta.label}.{name} was not visited"
    assert pages, f"{model._meta.label}: neither an add nor a change page was visited"


def _tenant_of(obj):
    lookup = getattr(type(obj), "tenant_lookup", "tenant")
    for part in lookup.split("__"):
        obj = obj.pk if part == "pk" else getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, "pk", obj)


def test_tenant_staff_creations_are_pinned_to_their_tenant(client):
    from licensing.models import User

    tenant = TenantFactory()
    client.force_login(staff_of(tenant, User))
    response = client.post(
        "/admin/licensing/user/add/",
        {"username": "colleague", "password1": "A-long-pass-123", "password2": "A-long-pass-123"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="colleague").tenant == tenant


# --- Shared and vendor-wide rows are read-only for tenant staff --------------------------


def test_shared_rows_cannot_be_changed_by_tenant_staff(client):
    from licensing.tests.factories import ProductFactory
    from releases.models import Release
    from releases.tests.factories import published_release

    tenant = TenantFactory()
    shared = published_release(product=ProductFactory(), version="1.0.0")  # no tenant
    staff = staff_of(tenant, Release)
    api = APIClient()
    api.force_authenticate(staff)
    assert api.get(f"/api/v1/manage/releases/{shared.pk}/").status_code == 200  # readable
    for action in ("yank", "publish"):
        assert api.post(f"/api/v1/manage/releases/{shared.pk}/{action}/").status_code == 404
    response = api.patch(
        f"/api/v1/manage/releases/{shared.pk}/", {"is_mandatory": True}, format="json"
    )
    assert response.status_code == 404
    client.force_login(staff)
    client.post("/admin/releases/release/", {"action": "yank", "_selected_action": [shared.pk]})
    page = client.get(f"/admin/releases/release/{shared.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    shared.refresh_from_db()
    assert shared.status == "published" and not shared.is_mandatory


def test_releases_created_by_tenant_staff_belong_to_their_tenant():
    from licensing.tests.factories import ProductFactory
    from releases.models import Release

    tenant, other = TenantFactory(), TenantFactory()
    api = APIClient()
    api.force_authenticate(staff_of(tenant, Release))
    product = ProductFactory()
    response = api.post(
        "/api/v1/manage/releases/",
        {"product": product.pk, "version": "1.0.0", "tenant": None},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["tenant"] == str(tenant.pk)
    # Another tenant's id is answered exactly like one that does not exist.
    answers = []
    for requested in (str(other.pk), str(uuid.uuid4())):
        response = api.post(
            "/api/v1/manage/releases/",
            {"product": product.pk, "version": "2.0.0", "tenant": requested},
            format="json",
        )
        assert response.status_code == 400
        answers.append(response.json()["errors"]["tenant"][0].replace(requested, "<id>"))
    assert answers[0] == answers[1]
    assert not Release.objects.filter(version="2.0.0").exists()


def test_vendor_wide_models_are_read_only_for_tenant_staff(client):
    from licensing.models import Product
    from licensing.tests.factories import ProductFactory

    product = ProductFactory()
    staff = staff_of(TenantFactory(), Product)
    api = APIClient()
    api.force_authenticate(staff)
    assert api.get("/api/v1/manage/products/").status_code == 200
    response = api.post("/api/v1/manage/products/", {"slug": "x", "name": "X"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "PERMISSION_DENIED"
    response = api.patch(
        f"/api/v1/manage/products/{product.pk}/", {"distribution": "open"}, format="json"
    )
    assert response.status_code in (403, 404)
    client.force_login(staff)
    assert client.get("/admin/licensing/product/add/").status_code == 403
    client.post(f"/admin/licensing/product/{product.pk}/change/", {"distribution": "open"})
    product.refresh_from_db()
    assert product.distribution == "licensed"


def test_tenant_staff_editing_a_colleague_keeps_their_groups(client):
    from licensing.models import User
    from licensing.services import tenant_staff_group

    tenant = TenantFactory()
    colleague = UserFactory(tenant=tenant, username="colleague")
    assert colleague.groups.filter(pk=tenant_staff_group().pk).exists()
    client.force_login(staff_of(tenant, User))
    page = client.get(f"/admin/licensing/user/{colleague.pk}/change/")
    assert "groups" not in page.context["adminform"].form.fields
    response = client.post(
        f"/admin/licensing/user/{colleague.pk}/change/",
        {
            "username": "colleague",
            "first_name": "Col",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.first_name == "Col" and colleague.groups.count() == 1


def test_filters_refuse_another_tenants_ids_like_unknown_ones():
    from devices.models import Device
    from devices.tests.factories import DeviceFactory

    tenant, other = TenantFactory(), TenantFactory()
    DeviceFactory(license__tenant=tenant)
    theirs = DeviceFactory(license__tenant=other)
    api = APIClient()
    api.force_authenticate(staff_of(tenant, Device))
    unknown = api.get(
        "/api/v1/manage/devices/", {"license": "00000000-0000-4000-8000-000000000000"}
    )
    foreign = api.get("/api/v1/manage/devices/", {"license": str(theirs.license_id)})
    assert unknown.status_code == foreign.status_code == 400


def test_tenant_staff_cannot_create_or_reactivate_tenants(client):
    from licensing.models import Tenant

    tenant = TenantFactory(is_active=False)
    staff = staff_of(tenant, Tenant)
    api = APIClient()
    api.force_authenticate(staff)
    assert api.get(f"/api/v1/manage/tenants/{tenant.pk}/").status_code == 200
    response = api.patch(f"/api/v1/manage/tenants/{tenant.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 403
    response = api.post("/api/v1/manage/tenants/", {"name": "X", "slug": "x"}, format="json")
    assert response.status_code == 403
    client.force_login(staff)
    assert client.get("/admin/licensing/tenant/add/").status_code == 403
    client.post(
        f"/admin/licensing/tenant/{tenant.pk}/change/",
        {"name": tenant.name, "slug": tenant.slug, "is_active": "on"},
    )
    tenant.refresh_from_db()
    assert not tenant.is_active and Tenant.objects.count() == 1


def test_tenant_staff_cannot_raise_their_own_entitlements_whatever_their_permissions():
    from licensing.models import License
    from licensing.tests.factories import LicenseFactory, PolicyFactory

    tenant = TenantFactory()
    own = LicenseFactory(tenant=tenant, max_devices=2)
    api = APIClient()
    api.force_authenticate(staff_of(tenant, License))  # add, change, delete, view
    url = f"/api/v1/manage/licenses/{own.pk}/"
    assert api.get(url).status_code == 200  # they read their license
    response = api.patch(url, {"max_devices": None, "max_validations": None}, format="json")
    assert response.status_code == 403
    body = {"tenant": str(tenant.pk), "policy": PolicyFactory(max_devices=None).pk}
    assert api.post("/api/v1/manage/licenses/", body, format="json").status_code == 403
    own.refresh_from_db()
    assert own.max_devices == 2 and License.objects.filter(tenant=tenant).count() == 1


def test_an_admin_action_on_foreign_ids_says_it_changed_nothing(client):
    from devices.models import Device
    from devices.tests.factories import DeviceFactory

    tenant, other = TenantFactory(), TenantFactory()
    foreign = DeviceFactory(license__tenant=other)
    client.force_login(staff_of(tenant, Device))
    response = client.post(
        "/admin/devices/device/",
        {"action": "deactivate", "_selected_action": [foreign.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "0 device(s) deactivated." in messages
    foreign.refresh_from_db()
    assert foreign.status == Device.Status.ACTIVE


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_list_pages_name_no_other_tenants_row(client, model):
    """Not in the rows, nor in the filters' choices: with every kind of row existing in
    tenant B, A's staff list page mentions none of B's ids."""
    tenant_a, tenant_b = TenantFactory(), TenantFactory()
    theirs = [make(tenant_b) for make in FACTORIES.values()]
    FACTORIES[model](tenant_a)
    client.force_login(staff_of(tenant_a, model))
    page = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    assert page.status_code == 200
    content = page.content.decode()
    leaked = [
        f"{type(row)._meta.label} {row.pk}"
        for row in theirs
        if not isinstance(row.pk, int) and str(row.pk) in content
    ]
    assert not leaked, f"{model._meta.label} list page names {leaked}"


def test_migrate_refreshes_the_tenant_staff_role():
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command

    from licensing.roles import TENANT_STAFF_GROUP, TENANT_STAFF_PERMISSIONS

    group, _ = Group.objects.get_or_create(name=TENANT_STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(codename="view_tenant"))
    call_command("migrate", verbosity=0)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert held == set(TENANT_STAFF_PERMISSIONS)
