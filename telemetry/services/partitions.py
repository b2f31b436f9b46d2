"""Telemetry reports partitioned by day on PostgreSQL (declarative range partitioning on
`received_at`, made by migration 0002); SQLite keeps the plain table and row deletes.

Partitions are `<table>_pYYYYMMDD`, one UTC day each, created RELAIS_TELEMETRY_PARTITIONS_AHEAD
days ahead by the prune task (and by the migration). Retention drops whole partitions: a
`DROP TABLE` per expired day instead of deleting its rows one by one, so the cost of
retention no longer grows with the ingest rate. A day's rows are kept until the whole day is
past the retention, at most a day longer than RELAIS_TELEMETRY_RETENTION_DAYS.

`<table>_default` takes a row no day partition covers (the beat stopped for longer than the
days ahead); creating that day's partition later moves its rows in, and retention deletes the
default's old rows by batches, as before partitioning."""

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from ..models import TelemetryReport


def _table() -> str:
    return TelemetryReport._meta.db_table


def partitioned() -> bool:
    """True on PostgreSQL once migration 0002 made the table partitioned."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [_table()],
        )
        return cursor.fetchone() is not None


def partition_name(day: date) -> str:
    return f"{_table()}_p{day:%Y%m%d}"


def partition_days() -> list[date]:
    """The days that have a partition, oldest first (the default partition left out)."""
    prefix = f"{_table()}_p"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [_table()],
        )
        names = [row[0] for row in cursor.fetchall()]
    days = []
    for name in names:
        if name.startswith(prefix) and len(name) == len(prefix) + 8:
            days.append(datetime.strptime(name[len(prefix) :], "%Y%m%d").date())  # noqa: DTZ007
    return sorted(days)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


@transaction.atomic
def partition_create(day: date) -> bool:
    """The partition of `day`, unless it exists; rows of that day waiting in the default
    partition move into it (ATTACH checks the default holds none of its range)."""
    name, table, default = partition_name(day), _table(), f"{_table()}_default"
    start, end = _bounds(day)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        cursor.execute(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS)')
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{default}" WHERE received_at >= %s AND received_at < %s '  # noqa: S608
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
            [start, end],
        )
        cursor.execute(
            f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            [start, end],
        )
    return True


def partitions_ensure(*, now: datetime | None = None, since: date | None = None) -> int:
    """Partitions from `since` (default today) to RELAIS_TELEMETRY_PARTITIONS_AHEAD days
    ahead; returns how many were created."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    day = since or today
    last = today + timedelta(days=settings.RELAIS_TELEMETRY_PARTITIONS_AHEAD)
    created = 0
    while day <= last:
        created += partition_create(day)
        day += timedelta(days=1)
    return created


def partitions_drop_before(before: datetime) -> dict[str, int]:
    """Drops the partitions of the days wholly before `before` (no row is read), then deletes
    the default partition's rows older than it, in batches: {"partitions": dropped,
    "rows": deleted from the default}."""
    dropped = 0
    for day in partition_days():
        if _bounds(day)[1] > before:
            break
        name = partition_name(day)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{_table()}" DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
        dropped += 1
    default = f"{_table()}_default"
    batch = settings.RELAIS_TELEMETRY_PRUNE_BATCH
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f'DELETE FROM "{default}" WHERE ctid IN (SELECT ctid FROM "{default}" '  # noqa: S608
                "WHERE received_at < %s LIMIT %s)",
                [before, batch],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < batch:
                return {"partitions": dropped, "rows": deleted}
