"""The tables `sync/` had keep their rows when they move to core, webhooks, documents and
commands (core/migrations/_moved_tables.py).

The `sync` app and its migrations are gone, so the database of the releases before the move
is made here by Django's MigrationExecutor taking the four apps back to before their first
migration: their tables are then `sync_*` again, with the `sync` indexes and content types,
as main's last `sync` migration (0006_device_commands) left them; the test checks that
schema, writes a row in every table, migrates forward and finds every row, every content
type (same id, new app label) and a permission given to a group."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from commands.models import DeviceCommand
from core.models import Event
from devices.tests.factories import DeviceFactory
from documents.models import SyncDocument, SyncDocumentRevision
from licensing.tests.factories import TenantFactory, UserFactory
from releases.tests.factories import ReleaseFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

MOVED = {  # model: its table before the move
    Event: "sync_event",
    WebhookEndpoint: "sync_webhookendpoint",
    WebhookDelivery: "sync_webhookdelivery",
    SyncDocument: "sync_syncdocument",
    SyncDocumentRevision: "sync_syncdocumentrevision",
    DeviceCommand: "sync_devicecommand",
}
# Main's names for the indexes its migrations named (sync 0003 and 0006).
MAIN_INDEXES = {
    "sync_webhookdelivery": {"sync_webhoo_status_2d8e1b_idx", "sync_webhoo_endpoin_15d92d_idx"},
    "sync_devicecommand": {"sync_device_device__6cfdac_idx", "sync_device_status_0e8e3f_idx"},
    "sync_syncdocument": {"sync_document_name_per_tenant"},
    "sync_syncdocumentrevision": {"sync_revision_version_per_document"},
}
BEFORE_THE_MOVE = [("core", None), ("webhooks", None), ("documents", None), ("commands", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _insert(model, table: str, **values) -> None:
    """One row in `table` (the table `model` had before the move), every column it had
    given: `values` by attname, the model's defaults for the rest, adapted by its fields
    (columns added since the move, e.g. DeviceCommand.video, are not in the old table)."""
    with connection.cursor() as cursor:
        present = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    fields = [f for f in model._meta.concrete_fields if f.column in present]
    row = {f.attname: values.get(f.attname, f.get_default()) for f in fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    params = [f.get_db_prep_save(row[f.attname], connection) for f in fields]
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        # The table and columns are the models' own names, quoted; the values are parameters.
        cursor.execute(f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})", params)  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_every_row_of_the_sync_tables_survives_the_move():
    tenant = TenantFactory()
    user = UserFactory(tenant=tenant)
    device = DeviceFactory()
    release = ReleaseFactory(product=device.product)
    now = timezone.now().replace(microsecond=0)
    ids = {model: uuid.uuid4() for model in MOVED if model is not SyncDocumentRevision}
    try:
        _migrate(BEFORE_THE_MOVE)
        tables = set(connection.introspection.table_names())
        assert set(MOVED.values()) <= tables
        assert not {model._meta.db_table for model in MOVED} & tables
        with connection.cursor() as cursor:
            for table, names in MAIN_INDEXES.items():
                assert names <= set(connection.introspection.get_constraints(cursor, table))
        old_types = {
            model: ContentType.objects.get(app_label="sync", model=model._meta.model_name).pk
            for model in MOVED
        }
        group = Group.objects.create(name="kept")
        group.permissions.add(
            Permission.objects.get(
                content_type_id=old_types[WebhookEndpoint], codename="view_webhookendpoint"
            )
        )

        _insert(
            Event,
            "sync_event",
            id=ids[Event],
            type="license.created",
            tenant_id=tenant.pk,
            payload={"n": 1},
            actor_id=user.pk,
            actor_label=user.username,
            created_at=now,
        )
        _insert(
            WebhookEndpoint,
            "sync_webhookendpoint",
            id=ids[WebhookEndpoint],
            tenant_id=tenant.pk,
            url="https://hooks.example.com/in",
            secret="whsec_x",
            event_types=["license.*"],
            created_at=now,
        )
        _insert(
            WebhookDelivery,
            "sync_webhookdelivery",
            id=ids[WebhookDelivery],
            endpoint_id=ids[WebhookEndpoint],
            event_id=ids[Event],
            attempts=2,
            next_attempt_at=now + dt.timedelta(minutes=5),
            created_at=now,
        )
        _insert(
            SyncDocument,
            "sync_syncdocument",
            id=ids[SyncDocument],
            tenant_id=tenant.pk,
            name="team",
            data=[{"id": 1, "name": "Ada"}],
            version=3,
            updated_by_id=user.pk,
            created_at=now,
            updated_at=now,
        )
        _insert(
            SyncDocumentRevision,
            "sync_syncdocumentrevision",
            id=41,
            document_id=ids[SyncDocument],
            version=3,
            data=[{"id": 1, "name": "Ada"}],
            patch=[{"op": "add", "path": "/0", "value": {"id": 1}}],
            changed=["1"],
            actor_id=user.pk,
            actor_label=user.username,
            created_at=now,
        )
        _insert(
            DeviceCommand,
            "sync_devicecommand",
            id=ids[DeviceCommand],
            tenant_id=device.tenant_id,
            device_id=device.pk,
            type="update_software",
            data={"version": "2.0.0"},
            release_id=release.pk,
            status="delivered",
            created_by_id=user.pk,
            created_at=now,
            expires_at=now + dt.timedelta(hours=1),
        )
    finally:
        _migrate(_latest())
        ContentType.objects.clear_cache()

    event = Event.objects.get(pk=ids[Event])
    assert (event.type, event.tenant_id, event.actor_id, event.payload) == (
        "license.created",
        tenant.pk,
        user.pk,
        {"n": 1},
    )
    assert event.created_at == now
    endpoint = WebhookEndpoint.objects.get(pk=ids[WebhookEndpoint])
    assert (endpoint.url, endpoint.event_types, endpoint.tenant_id) == (
        "https://hooks.example.com/in",
        ["license.*"],
        tenant.pk,
    )
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(
        pk=ids[WebhookDelivery]
    )
    assert (delivery.event, delivery.endpoint, delivery.attempts) == (event, endpoint, 2)
    document = SyncDocument.objects.get(pk=ids[SyncDocument])
    assert (document.name, document.version, document.data) == (
        "team",
        3,
        [{"id": 1, "name": "Ada"}],
    )
    revision = SyncDocumentRevision.objects.get(pk=41)
    assert (revision.document, revision.changed) == (document, ["1"])
    command = DeviceCommand.objects.get(pk=ids[DeviceCommand])
    assert (command.device, command.release, command.status) == (device, release, "delivered")
    # What the tables give after the move: the ORM's lookups across them still join.
    assert list(Event.objects.filter(deliveries__endpoint=endpoint)) == [event]
    assert list(device.commands.all()) == [command]

    for model, old_id in old_types.items():
        moved = ContentType.objects.get_for_model(model)
        assert (moved.pk, moved.app_label) == (old_id, model._meta.app_label)
    assert not ContentType.objects.filter(app_label="sync").exists()
    kept = Group.objects.get(name="kept")
    assert [f"{p.content_type.app_label}.{p.codename}" for p in kept.permissions.all()] == [
        "webhooks.view_webhookendpoint"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_new_database_gets_the_tables_under_their_new_names():
    tables = set(connection.introspection.table_names())
    assert {model._meta.db_table for model in MOVED} <= tables
    assert not set(MOVED.values()) & tables
