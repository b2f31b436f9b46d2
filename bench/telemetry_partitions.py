"""Telemetry reports, plain table against partitioned by day (migration 0002), at N rows.

For each layout the script recreates the PostgreSQL database (its name must contain
"bench"), migrates (the plain layout stops at telemetry 0001), fills the reports table with
`--rows` rows over `--days` days for `--devices` devices (one INSERT … SELECT from
generate_series, then ANALYZE), and measures:

- ingest: the ingest service's INSERT (telemetry.services.ingest.reports_insert, batches of
  500 reports, as `POST /api/v1/telemetry` runs it) for `--ingest-seconds`: rows a second;
- chart: one device's hourly average of `cpu` over the last 30 days, straight from the
  reports (what a chart costs without the hourly rollups): median of `--repeat` runs;
- window: the rows of the last hour for the whole fleet (what the rollup task reads every
  run): median of `--repeat` runs;
- retention of the oldest day: the plain table deletes its rows by batches of
  RELAIS_TELEMETRY_PRUNE_BATCH (what telemetry_prune did), the partitioned one drops the
  day's partition (what it does now).

Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/relais_bench_partitions)."""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from update_check import bench_environment, recreate_database  # noqa: E402

TABLE = "telemetry_telemetryreport"
TENANT = "00000000-0000-4000-8000-000000000001"


def fill(rows: int, devices: int, days: int, now: datetime) -> float:
    from django.db import connection

    span = days * 86400.0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {TABLE} (tenant_id, device_id, kind, received_at, version, metrics)
            SELECT %s::uuid, md5((i %% %s)::text)::uuid, 'telemetry',
                   %s::timestamptz - make_interval(secs => i * %s / %s), '1.0.0',
                   jsonb_build_object('cpu', i %% 100, 'memory', 40 + i %% 50, 'disk', 60.5)
            FROM generate_series(0, %s - 1) AS i""",  # noqa: S608
            [TENANT, devices, now, span, rows, rows],
        )
        cursor.execute(f"ANALYZE {TABLE}")
    return time.perf_counter() - started


def ingest(seconds: float) -> float:
    from django.utils import timezone

    from telemetry.services.ingest import reports_insert
    from telemetry.validation import Report

    batch = [Report(metrics={"cpu": n % 100, "memory": 50.5}, uptime=n) for n in range(500)]
    device = "c4ca4238-a0b9-2382-0dcc-509a6f75849b"  # md5('1'): a seeded device
    rows, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        rows += reports_insert(
            tenant_id=TENANT, device_id=device, reports=batch, received_at=timezone.now()
        )
    return rows / (time.perf_counter() - started)


def timed(sql: str, params: list, repeat: int) -> tuple[float, int]:
    from django.db import connection

    times, found = [], 0
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, params)
            found = len(cursor.fetchall())
            times.append(time.perf_counter() - started)
    return statistics.median(times), found


def retention(partitioned: bool, oldest: datetime) -> tuple[float, int]:
    """Seconds to remove the oldest day, and rows it held."""
    from django.conf import settings
    from django.db import connection, transaction

    from telemetry.services.partitions import partitions_drop_before

    day_end = datetime(oldest.year, oldest.month, oldest.day, tzinfo=UTC) + timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE received_at < %s", [day_end])  # noqa: S608
        rows = cursor.fetchone()[0]
    started = time.perf_counter()
    if partitioned:
        partitions_drop_before(day_end)
    else:
        batch = settings.RELAIS_TELEMETRY_PRUNE_BATCH
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {TABLE} WHERE id IN (SELECT id FROM {TABLE} "  # noqa: S608
                    "WHERE received_at < %s LIMIT %s)",
                    [day_end, batch],
                )
                if cursor.rowcount < batch:
                    break
    return time.perf_counter() - started, rows


def run(layout: str, args, now: datetime) -> dict:
    import django
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    recreate_database(os.environ["DATABASE_URL"])
    if not django.apps.apps.ready:
        django.setup()
    call_command("migrate", verbosity=0)
    partitioned = layout == "partitioned"
    if not partitioned:
        call_command("migrate", "telemetry", "0001", verbosity=0)
    else:
        from telemetry.services.partitions import partitions_ensure

        partitions_ensure(now=now, since=(now - timedelta(days=args.days)).date())
    filled = fill(args.rows, args.devices, args.days, now)
    device = "c81e728d-9d4c-2f63-6f06-7f89cc14862c"  # md5('2')
    chart = timed(
        f"SELECT date_trunc('hour', received_at) AS h, avg((metrics->>'cpu')::float) "  # noqa: S608
        f"FROM {TABLE} WHERE device_id = %s AND received_at >= %s GROUP BY h ORDER BY h",
        [device, now - timedelta(days=30)],
        args.repeat,
    )
    window = timed(
        f"SELECT device_id, count(*) FROM {TABLE} "  # noqa: S608
        "WHERE received_at >= %s AND received_at < %s GROUP BY device_id",
        [now - timedelta(hours=1), now],
        args.repeat,
    )
    rate = ingest(args.ingest_seconds)
    dropped = retention(partitioned, now - timedelta(days=args.days))
    return {"fill": filled, "ingest": rate, "chart": chart, "window": window, "drop": dropped}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=35)
    parser.add_argument("--ingest-seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relais_bench_partitions"
    )
    bench_environment()
    now = datetime.now(UTC)
    print(f"{args.rows} rows, {args.devices} devices, {args.days} days")
    for layout in ("plain", "partitioned"):
        found = run(layout, args, now)
        chart, window, (drop_s, drop_rows) = found["chart"], found["window"], found["drop"]
        print(
            f"{layout:12} fill {found['fill']:.1f} s | ingest {found['ingest']:,.0f} rows/s | "
            f"30-day device chart {chart[0] * 1000:.1f} ms ({chart[1]} hours) | "
            f"last hour, fleet {window[0] * 1000:.1f} ms ({window[1]} devices) | "
            f"oldest day removed in {drop_s * 1000:.1f} ms ({drop_rows} rows)"
        )


if __name__ == "__main__":
    main()
