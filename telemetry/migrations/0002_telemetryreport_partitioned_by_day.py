"""Telemetry reports partitioned by day on PostgreSQL (telemetry/services/partitions.py);
nothing on SQLite, which keeps the plain table.

PostgreSQL's declarative range partitioning on `received_at`, made here by SQL rather than
by django-postgres-extra: that library partitions only models deriving from its
PostgresPartitionedModel, created by its own migration operations, on its own database
backend (ENGINE `psqlextra.backend`) — the embedded SQLite default could not run the same
migration history, every process would change database engine, and it has no operation
converting an existing, filled table.

What this assumes about `telemetry_telemetryreport` as 0001 made it (a later migration
changing the table must keep it true):
- `received_at` is NOT NULL: it is the partition key;
- the primary key becomes (id, received_at): PostgreSQL wants the key in every unique
  constraint, so no unique constraint or index without `received_at` can be added;
  `id` stays unique in practice (one identity sequence), and Django's state still names
  `id` alone as the primary key (lookups by id use the new key's leading column);
- its indexes are `telemetry_received_brin` (BRIN on received_at) and
  `telemetry_device_time` (device_id, received_at), recreated on the partitioned table;
- no foreign key points at it (none does: alerts and rollups do not reference reports).
Adding a column or an index later works as on any table (PostgreSQL cascades them to the
partitions); `CREATE INDEX CONCURRENTLY` does not on a partitioned table.

Existing rows are copied, in this migration's transaction: on a large table, run it in a
maintenance window (about the time of the table's size in INSERT … SELECT)."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations

TABLE = "telemetry_telemetryreport"
INDEXES = {
    "telemetry_received_brin": "USING brin (received_at)",
    "telemetry_device_time": "(device_id, received_at)",
}


def _day_partition(cursor, day) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    cursor.execute(
        f'CREATE TABLE "{TABLE}_p{day:%Y%m%d}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)',
        [start, start + timedelta(days=1)],
    )


def _swap(cursor, old: str) -> None:
    """Renames the table and its indexes out of the way of the new one."""
    cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{old}"')
    for index in [*INDEXES, f"{TABLE}_pkey"]:
        cursor.execute(f'ALTER INDEX "{index}" RENAME TO "{index}_old"')


def _copy(cursor, old: str) -> None:
    cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{old}"')  # noqa: S608
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 0) + 1, false) "  # noqa: S608
        f'FROM "{TABLE}"',
        [TABLE],
    )
    cursor.execute(f'DROP TABLE "{old}" CASCADE')


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    old = f"{TABLE}_unpartitioned"
    with schema_editor.connection.cursor() as cursor:
        _swap(cursor, old)
        cursor.execute(
            f'CREATE TABLE "{TABLE}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
            "INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (received_at)"
        )
        cursor.execute(f'ALTER TABLE "{TABLE}" ADD PRIMARY KEY (id, received_at)')
        for index, definition in INDEXES.items():
            cursor.execute(f'CREATE INDEX "{index}" ON "{TABLE}" {definition}')
        cursor.execute(f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT')
        cursor.execute(f'SELECT min(received_at) FROM "{old}"')  # noqa: S608
        first = cursor.fetchone()[0]
        today = datetime.now(UTC).date()
        day = min(first.astimezone(UTC).date(), today) if first else today
        last = today + timedelta(days=settings.RELAIS_TELEMETRY_PARTITIONS_AHEAD)
        while day <= last:
            _day_partition(cursor, day)
            day += timedelta(days=1)
        _copy(cursor, old)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    old = f"{TABLE}_partitioned"
    with schema_editor.connection.cursor() as cursor:
        _swap(cursor, old)
        cursor.execute(
            f'CREATE TABLE "{TABLE}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
            "INCLUDING STORAGE INCLUDING COMMENTS)"
        )
        cursor.execute(f'ALTER TABLE "{TABLE}" ADD PRIMARY KEY (id)')
        for index, definition in INDEXES.items():
            cursor.execute(f'CREATE INDEX "{index}" ON "{TABLE}" {definition}')
        _copy(cursor, old)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0001_initial")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
