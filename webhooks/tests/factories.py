import itertools

from sync.events import publish
from sync.models import (
    DeviceCommand,
    Event,
    SyncDocument,
    SyncDocumentRevision,
    WebhookDelivery,
    WebhookEndpoint,
)
from sync.services import document_write
from sync.webhooks import endpoint_create

# An address that resolves without a network; tests that create endpoints allow loopback
# targets (`settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS`, which conftest.py sets).
RECEIVER_URL = "http://127.0.0.1:9/hooks"


def _endpoint_of(tenant):
    return endpoint_create(url=RECEIVER_URL, tenant=tenant).endpoint


def _delivery_of(tenant):
    endpoint = _endpoint_of(tenant)
    publish("license.updated", tenant=tenant, payload={"n": 1})
    return WebhookDelivery.objects.filter(endpoint=endpoint).latest("created_at")


_names = itertools.count()


def make_document(tenant, *, name=None, data=None, actor=None) -> SyncDocument:
    """A written document (version 1, one revision) of `tenant`."""
    name = name or f"doc-{next(_names)}"
    data = {"title": "Relais", "createdAt": "2026-01-01"} if data is None else data
    return document_write(tenant=tenant, name=name, data=data, actor=actor).document


def make_revisions(tenant, *, actor=None) -> list[SyncDocumentRevision]:
    """A document written twice: its revisions, oldest first."""
    document = make_document(tenant, actor=actor)
    document_write(tenant=tenant, name=document.name, data={"title": "Relais 2"}, actor=actor)
    return list(document.revisions.order_by("version"))


TENANT_FACTORIES = {
    Event: lambda tenant: publish("webhook.test", tenant=tenant, payload={"n": 1}),
    WebhookEndpoint: _endpoint_of,
    WebhookDelivery: _delivery_of,
    SyncDocument: lambda tenant: make_document(tenant),
    SyncDocumentRevision: lambda tenant: make_document(tenant).revisions.get(),
}


def _command_of(tenant):
    from devices.tests.factories import DeviceFactory
    from licensing.tests.factories import LicenseFactory
    from sync.commands import command_create

    device = DeviceFactory(license=LicenseFactory(tenant=tenant))
    return command_create(device=device, type="reboot")


TENANT_FACTORIES[DeviceCommand] = _command_of
