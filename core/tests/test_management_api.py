"""Generic test cases run over every resource of the management API (NetBox-style): reads
and writes need their model permission, every write records an event naming its actor,
and an update that changes nothing saves and records nothing.

A resource added to a router without a `RESOURCES` entry fails
`test_every_resource_is_covered`. Cross-tenant isolation (404 across tenants, nothing
changed) is proven for the same resources by licensing/tests/test_tenancy.py.
"""

import uuid
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from commands.models import DeviceCommand, MediaVideo, SiteVideo
from commands.tests.factories import TENANT_FACTORIES as COMMAND_FACTORIES
from config.urls import MANAGE_ROUTERS
from core.models import Event
from core.tests.factories import TENANT_FACTORIES as CORE_FACTORIES
from devices.tests.factories import DeviceFactory
from documents.tests.factories import make_document, make_key, make_origin, make_revisions
from licensing.tests.factories import (
    LicenseFactory,
    PolicyFactory,
    ProductFactory,
    TenantFactory,
    UserFactory,
)
from notifications.tests.factories import RecipientFactory
from releases.models import Release, UpdateSession
from releases.tests.factories import TENANT_FACTORIES as RELEASE_FACTORIES
from releases.tests.factories import published_release
from telemetry.tests.factories import alert_of, report_of, rule_of
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import RECEIVER_URL
from webhooks.tests.factories import TENANT_FACTORIES as WEBHOOK_FACTORIES

pytestmark = pytest.mark.django_db
M = "/api/v1/manage"


@dataclass
class Resource:
    make: object  # () -> a row to read, update and act on
    create: object = None  # () -> (body, format) of a valid create, or None: not creatable
    update: dict | None = None  # a valid change, or None: not updatable
    actions: list[str] = field(default_factory=list)  # detail POST actions, in an order that works


def _draft_release():
    return Release.objects.create(product=ProductFactory(), version=f"1.{uuid.uuid4().int % 999}.0")


def _published():
    """Published without a service (no event): a create's body must record nothing."""
    release = _draft_release()
    Release.objects.filter(pk=release.pk).update(status="published", published_at=timezone.now())
    return release


def _rollout():
    from releases.services.rollouts import rollout_start

    stages = [{"percent": 10, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 60}]
    return rollout_start(release=_published(), stages=stages)


def _artifact_upload():
    release = _draft_release()
    upload = SimpleUploadedFile("app.zip", b"relais" * 10)
    return {"release": str(release.pk), "file": upload, "platform": "any"}, "multipart"


RESOURCES = {
    "tenants": Resource(
        make=TenantFactory,
        create=lambda: ({"name": "Acme", "slug": f"acme-{uuid.uuid4().hex[:8]}"}, "json"),
        update={"name": "Acme Corp"},
        actions=["deactivate", "activate"],
    ),
    "products": Resource(
        make=ProductFactory,
        create=lambda: ({"name": "CRM", "slug": f"crm-{uuid.uuid4().hex[:8]}"}, "json"),
        update={"name": "CRM 2"},
        actions=["deactivate", "activate"],
    ),
    "policies": Resource(
        make=PolicyFactory,
        create=lambda: ({"product": ProductFactory().pk, "name": "Pro", "max_devices": 3}, "json"),
        update={"max_devices": 7, "duration": "30 00:00:00"},
        actions=["deactivate", "activate"],
    ),
    "licenses": Resource(
        make=LicenseFactory,
        create=lambda: (
            {"tenant": str(TenantFactory().pk), "policy": PolicyFactory().pk, "name": "Siège"},
            "json",
        ),
        update={"name": "Front desk", "max_devices": 4},
        actions=["suspend", "reinstate", "renew", "regenerate-key", "revoke"],
    ),
    "releases": Resource(
        make=_draft_release,
        create=lambda: ({"product": ProductFactory().pk, "version": "2.0.0"}, "json"),
        update={"notes": "Correctifs", "is_mandatory": True},
    ),
    "artifacts": Resource(
        make=lambda: published_release(product=ProductFactory(), version="1.0.0").artifacts.get(),
        create=_artifact_upload,
    ),
    "devices": Resource(
        make=DeviceFactory,
        update={"name": "PC-Accueil", "channel": "beta", "tags": ["lobby"]},
        actions=["rotate-token", "deactivate"],
    ),
    "rollouts": Resource(
        make=_rollout,
        create=lambda: ({"release": str(_published().pk), "stages": [{"percent": 5}]}, "json"),
        actions=["pause", "resume", "advance", "halt"],
    ),
    "events": Resource(make=lambda: CORE_FACTORIES[Event](TenantFactory())),
    "webhook-endpoints": Resource(
        make=lambda: WEBHOOK_FACTORIES[WebhookEndpoint](TenantFactory()),
        create=lambda: ({"url": RECEIVER_URL, "event_types": ["license.*"]}, "json"),
        update={"description": "CRM front", "event_types": ["device.*"]},
        actions=["disable", "enable", "rotate-secret", "test"],
    ),
    "webhook-deliveries": Resource(
        make=lambda: WEBHOOK_FACTORIES[WebhookDelivery](TenantFactory()),
        actions=["redeliver"],
    ),
    "media-videos": Resource(make=lambda: COMMAND_FACTORIES[MediaVideo](TenantFactory())),
    "site-videos": Resource(make=lambda: COMMAND_FACTORIES[SiteVideo](TenantFactory())),
    "device-commands": Resource(
        make=lambda: COMMAND_FACTORIES[DeviceCommand](TenantFactory()),
        create=lambda: (
            {
                "device": str(DeviceFactory().pk),
                "type": "get_logs",
                "data": {"service": "neopro-app"},
            },
            "json",
        ),
        actions=["cancel"],
    ),
    "update-sessions": Resource(
        make=lambda: RELEASE_FACTORIES[UpdateSession](TenantFactory()),
    ),
    "sync-documents": Resource(
        make=lambda: make_document(TenantFactory()),
        create=lambda: (
            {"tenant": str(TenantFactory().pk), "name": "settings", "data": {"a": 1}},
            "json",
        ),
        update={"data": {"title": "Relais"}, "preserve_fields": ["createdAt", "views"]},
    ),
    "publishable-keys": Resource(
        make=lambda: make_key(TenantFactory())[0],
        create=lambda: (
            {"tenant": str(TenantFactory().pk), "documents": ["settings", "team"]},
            "json",
        ),
        update={"name": "Site public", "documents": ["settings"]},
        actions=["revoke"],
    ),
    "browser-origins": Resource(
        make=lambda: make_origin(TenantFactory()),
        create=lambda: (
            {"tenant": str(TenantFactory().pk), "origin": "https://trugroup.vercel.app"},
            "json",
        ),
    ),
    "sync-document-revisions": Resource(
        make=lambda: make_revisions(TenantFactory())[0],  # restoring it is a change
        actions=["restore"],
    ),
    "alerts": Resource(make=lambda: alert_of(TenantFactory()), actions=["acknowledge", "resolve"]),
    "alert-rules": Resource(
        make=lambda: rule_of(TenantFactory()),
        create=lambda: (
            {"tenant": str(TenantFactory().pk), "metric": "cpu", "warning": 85, "critical": 95},
            "json",
        ),
        update={"warning": 65, "margin": 4},
    ),
    "telemetry-reports": Resource(make=lambda: report_of(TenantFactory())),
    "notification-recipients": Resource(
        make=lambda: RecipientFactory(tenant=TenantFactory()),
        create=lambda: (
            {"tenant": str(TenantFactory().pk), "email": "ops@example.com", "kinds": ["alerts"]},
            "json",
        ),
        update={"name": "Ops desk", "kinds": ["alerts", "licenses"]},
    ),
}

ROUTES = {prefix: viewset for router in MANAGE_ROUTERS for prefix, viewset, _ in router.registry}


def test_every_resource_is_covered():
    assert set(ROUTES) == set(RESOURCES), "add the new resource to RESOURCES"


def _user(*codenames, model):
    """Platform staff (no tenant) holding only `codenames` on `model`."""
    user = UserFactory()
    content_type = ContentType.objects.get_for_model(model)
    user.user_permissions.add(
        *Permission.objects.filter(content_type=content_type, codename__in=codenames)
    )
    return user


def _codename(action, prefix):
    return f"{action}_{ROUTES[prefix].queryset.model._meta.model_name}"


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("prefix", sorted(RESOURCES))
def test_reads_need_the_view_permission(prefix):
    row = RESOURCES[prefix].make()
    model = ROUTES[prefix].queryset.model
    anonymous = APIClient()
    response = anonymous.get(f"{M}/{prefix}/")
    assert response.status_code in (401, 403) and "code" in response.json()
    for url in (f"{M}/{prefix}/", f"{M}/{prefix}/{row.pk}/"):
        response = _client(_user(model=model)).get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "PERMISSION_DENIED"
    viewer = _client(_user(_codename("view", prefix), model=model))
    assert viewer.get(f"{M}/{prefix}/{row.pk}/").status_code == 200


@pytest.mark.parametrize("prefix", sorted(RESOURCES))
def test_writes_need_their_permission_and_change_nothing_without_it(prefix):
    spec = RESOURCES[prefix]
    row = spec.make()
    model = ROUTES[prefix].queryset.model
    viewer = _client(_user(_codename("view", prefix), model=model))
    events = Event.objects.count()
    rows = model._default_manager.count()
    if spec.create:
        body, fmt = spec.create()
        assert viewer.post(f"{M}/{prefix}/", body, format=fmt).status_code == 403
    if spec.update:
        assert (
            viewer.patch(f"{M}/{prefix}/{row.pk}/", spec.update, format="json").status_code == 403
        )
    for action in spec.actions:
        assert viewer.post(f"{M}/{prefix}/{row.pk}/{action}/").status_code == 403, action
    assert Event.objects.count() == events and model._default_manager.count() == rows


def _newest_event():
    return Event.objects.order_by("-created_at").first()


@pytest.mark.parametrize("prefix", sorted(RESOURCES))
def test_every_write_records_an_event_naming_its_actor(prefix):
    spec = RESOURCES[prefix]
    row = spec.make()
    admin = UserFactory(is_superuser=True, username=f"ops-{prefix}")
    client = _client(admin)
    writes = []
    if spec.create:
        body, fmt = spec.create()
        writes.append(("create", lambda: client.post(f"{M}/{prefix}/", body, format=fmt)))
    if spec.update:
        url = f"{M}/{prefix}/{row.pk}/"
        writes.append(("update", lambda url=url: client.patch(url, spec.update, format="json")))
    for action in spec.actions:
        url = f"{M}/{prefix}/{row.pk}/{action}/"
        writes.append((action, lambda url=url: client.post(url)))
    if not writes:
        assert ROUTES[prefix].http_method_names, prefix
        response = client.post(f"{M}/{prefix}/", {}, format="json")
        assert response.status_code == 405, f"{prefix} is read-only"
        return
    for name, write in writes:
        before = Event.objects.count()
        response = write()
        assert response.status_code in (200, 201, 202), (name, response.json())
        assert Event.objects.count() == before + 1, f"{prefix} {name}: one event expected"
        event = _newest_event()
        assert event.actor == admin and event.actor_label == admin.username, (prefix, name)


def _stored(model, pk):
    return model._base_manager.filter(pk=pk).values().get()


@pytest.mark.parametrize("prefix", sorted(p for p, spec in RESOURCES.items() if spec.update))
def test_an_update_that_changes_nothing_saves_and_records_nothing(prefix):
    spec = RESOURCES[prefix]
    row = spec.make()
    client = _client(UserFactory(is_superuser=True))
    url = f"{M}/{prefix}/{row.pk}/"
    assert client.patch(url, spec.update, format="json").status_code == 200
    model = ROUTES[prefix].queryset.model
    stored, events = _stored(model, row.pk), Event.objects.count()
    response = client.patch(url, spec.update, format="json")  # the same values again
    assert response.status_code == 200
    assert Event.objects.count() == events, f"{prefix}: a no-op update recorded an event"
    assert _stored(model, row.pk) == stored
    response = client.patch(url, {}, format="json")
    assert response.status_code == 200 and Event.objects.count() == events
