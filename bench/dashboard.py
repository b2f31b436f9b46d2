"""Time the admin's landing page (the fleet dashboard) on a large fleet, on PostgreSQL.

It recreates the database (its name must contain "bench"), migrates, and seeds with
set-based INSERT … SELECT on the server (generate_series; no row travels through Python):
T tenants, P products, a license per tenant and product, N devices spread over the tenants
with app versions among the product's releases and `last_seen_at` within the last three
days, R published releases per product (the newest one devices have sessions for is under
a running forced rollout at 10 %), S update sessions (each device updated to its first S/N
releases; 90 % COMPLETED, 5 % FAILED with an error, 5 % under way; `updated_at` spread over
90 days) with the daily outcome counts the status reports keep, then VACUUM ANALYZE (what
autovacuum does on a live database). Then it renders `GET /admin/` in-process with
Django's test client as platform staff and as one tenant's staff, --repeat times each,
printing the median and max wall time and the slowest SQL queries of the last render.
Exit status 1 if a median exceeds --budget-ms.

    .venv/bin/python bench/dashboard.py --devices 1000000 --sessions 10000000
    .venv/bin/python bench/dashboard.py --devices 100000 --sessions 1000000 --repeat 5
    .venv/bin/python bench/dashboard.py --reuse   # render again on the seeded database

Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/relais_bench_dashboard).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/relais_bench_dashboard"
# The test settings: production's, with fixed secrets and plain static files (the page is
# rendered in-process, without a collectstatic manifest).
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.test",
    "DJANGO_LOG_LEVEL": "WARNING",
    "DJANGO_ALLOWED_HOSTS": "testserver",
}


def recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop {name!r}: the bench database's name must contain 'bench'.")
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def step(label, started):
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return time.perf_counter()


def model_defaults(sql: str) -> str:
    """Complete each `INSERT INTO <table> (<columns>) SELECT <values> …` of `sql` with the
    columns it does not name, valued by the model's own default (`field.get_default()`,
    as Django would save it): a column added later with a default never breaks the seed.
    The column list ends with `/*+columns*/` and the select list with `/*+values*/`."""
    import re

    from django.apps import apps
    from django.db import connection
    from psycopg import sql as psql

    models = {m._meta.db_table: m for m in apps.get_models()}
    for match in re.finditer(r"INSERT INTO (\w+) \(([^)]*?)/\*\+columns\*/\)", sql):
        table, named = match.group(1), {c.strip() for c in match.group(2).split(",")}
        extra_columns, extra_values = [], []
        for field in models[table]._meta.concrete_fields:
            if field.column in named or field.primary_key and field.column == "id":
                continue
            value = field.get_db_prep_save(field.get_default(), connection)
            literal = psql.Literal(value).as_string(connection.connection)
            extra_columns.append(field.column)
            extra_values.append(f"{literal}::{field.db_type(connection)}")
        columns = "".join(f", {c}" for c in extra_columns)
        values = "".join(f", {v}" for v in extra_values)
        head, tail = sql[: match.start()], sql[match.start() :]
        tail = tail.replace("/*+columns*/", columns, 1).replace("/*+values*/", values, 1)
        sql = head + tail
    return sql


def seed(args) -> None:
    from django.db import connection

    from licensing.keys import secret_hash

    t, n, s, r, p = args.tenants, args.devices, args.sessions, args.releases, args.products
    per_device = max(1, min(r, s // n))
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            model_defaults(
                """
            INSERT INTO licensing_tenant (id, name, slug, created_at/*+columns*/)
            SELECT gen_random_uuid(), 'Tenant ' || i, 'tenant-' || i, now()/*+values*/
            FROM generate_series(1, %s) i;
            INSERT INTO licensing_product (slug, name, created_at/*+columns*/)
            SELECT 'product-' || i, 'Product ' || i, now()/*+values*/
            FROM generate_series(1, %s) i;
            INSERT INTO licensing_policy (product_id, name, max_devices, duration,
                max_validations, heartbeat_window/*+columns*/)
            SELECT id, 'Unlimited', NULL, NULL, NULL, NULL/*+values*/
            FROM licensing_product;
            """
            ),
            [t, p],
        )
        # A license per tenant and product; some expire within 30 days.
        cur.execute(
            model_defaults(
                """
            INSERT INTO licensing_license (id, tenant_id, product_id, policy_id, name, key_hash,
                key_prefix, status, expires_at, updates_until, max_devices, max_validations,
                created_at/*+columns*/)
            SELECT gen_random_uuid(), t.id, pol.product_id, pol.id, '',
                   encode(sha256((t.id::text || pol.id::text || %s)::bytea), 'hex'),
                   upper(substr(md5(t.id::text || pol.id::text), 1, 8)), 'active',
                   now() + (random() * 400) * interval '1 day', NULL, NULL, NULL,
                   now()/*+values*/
            FROM licensing_tenant t CROSS JOIN licensing_policy pol
            """
            ),
            [secret_hash("bench")],
        )
        t0 = step(f"{t} tenants, {p} products, {t * p} licenses", t0)
        cur.execute(
            model_defaults(
                """
            INSERT INTO releases_release (id, product_id, version, major, minor, patch,
                prerelease, channel, notes, status, published_at, tenant_id,
                created_at/*+columns*/)
            SELECT gen_random_uuid(), pr.id, '1.' || v || '.0', 1, v, 0, '', 'stable',
                   'Release 1.' || v, 'published', now() - (%s - v) * interval '7 days',
                   NULL, now()/*+values*/
            FROM licensing_product pr CROSS JOIN generate_series(0, %s - 1) v
            """
            ),
            [r, r],
        )
        # Devices: round-robin over tenants and products, versions skewed to the new ones.
        cur.execute(
            model_defaults(
                """
            WITH lic AS (
                SELECT l.*, row_number() OVER (ORDER BY l.id) - 1 AS k,
                       count(*) OVER () AS total
                FROM licensing_license l
            )
            INSERT INTO devices_device (id, tenant_id, license_id, product_id, hardware_id, name,
                os_version, platform, app_version, channel, status,
                token_hash, last_seen_at, created_at/*+columns*/)
            SELECT gen_random_uuid(), lic.tenant_id, lic.id, lic.product_id, 'hw-' || i,
                   'PC-' || i, 'Windows 10', 'windows-x86_64',
                   '1.' || (%s - 1 - floor(power(random(), 2) * %s))::int || '.0', 'stable',
                   CASE WHEN i %% 50 = 0 THEN 'deactivated' ELSE 'active' END,
                   NULL, now() - random() * interval '3 days', now()/*+values*/
            FROM generate_series(0, %s - 1) i
            JOIN lic ON lic.k = i %% lic.total
            """
            ),
            [r, r, n],
        )
        t0 = step(f"{r * p} releases, {n} devices", t0)
        # Sessions: each device updated to the first `per_device` releases of its product.
        cur.execute(
            model_defaults(
                """
            WITH rel AS (
                SELECT id, product_id, version,
                       row_number() OVER (PARTITION BY product_id ORDER BY minor) - 1 AS k
                FROM releases_release
            )
            INSERT INTO releases_updatesession (id, device_id, release_id, from_version,
                to_version, status, percent, error, duration_seconds, started_at, updated_at,
                completed_at/*+columns*/)
            SELECT gen_random_uuid(), device_id, release_id, '1.0.0', version, status, 100,
                   CASE WHEN status = 'FAILED' THEN 'Installer exited with 1603' ELSE '' END,
                   60, at, at, CASE WHEN status = 'COMPLETED' THEN at END/*+values*/
            FROM (
                SELECT device_id, release_id, version, at,
                       CASE WHEN x < 0.90 THEN 'COMPLETED' WHEN x < 0.95 THEN 'FAILED'
                            ELSE 'DOWNLOADING' END AS status
                FROM (
                    -- volatile in the select list: drawn for every row
                    SELECT d.id AS device_id, rel.id AS release_id, rel.version,
                           random() AS x, now() - random() * interval '90 days' AS at
                    FROM (SELECT * FROM devices_device LIMIT %s) d
                    JOIN rel ON rel.product_id = d.product_id AND rel.k < %s
                ) draw
            ) t
            """
            ),
            [s // per_device + 1, per_device],
        )
        t0 = step(f"{cur.rowcount} update sessions", t0)
        # What the status reports would have counted, day by day (releases/services/outcomes.py).
        cur.execute(
            model_defaults(
                """
            INSERT INTO releases_updateday (tenant_id, product_id, day, completed,
                failed/*+columns*/)
            SELECT d.tenant_id, d.product_id, (s.updated_at AT TIME ZONE 'UTC')::date,
                   count(*) FILTER (WHERE s.status = 'COMPLETED'),
                   count(*) FILTER (WHERE s.status IN ('FAILED', 'ROLLED_BACK'))/*+values*/
            FROM releases_updatesession s JOIN devices_device d ON d.id = s.device_id
            WHERE s.status IN ('COMPLETED', 'FAILED', 'ROLLED_BACK')
            GROUP BY 1, 2, 3
            """
            )
        )
        t0 = step(f"{cur.rowcount} daily outcome rows", t0)
        # The newest release with sessions, per product, is under a running forced rollout
        # at 10 % (its sessions by status are counted on the page).
        cur.execute(
            model_defaults(
                """
            INSERT INTO releases_rollout (id, release_id, stages, stage, percent, status,
                max_failure_rate, min_sample, forced, target_tenant_ids, target_device_ids,
                start_at, stage_started_at, ended_at, created_at/*+columns*/)
            SELECT gen_random_uuid(), r.id,
                   '[{"percent": 10, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 60}]',
                   0, 10, 'running', 10, 20, true, '[]', '[]', now(), now(), NULL, now()/*+values*/
            FROM releases_release r WHERE r.minor = %s - 1;
            UPDATE releases_release r SET current_rollout_id = ro.id
            FROM releases_rollout ro WHERE ro.release_id = r.id;
            """
            ),
            [per_device],
        )
    connection.connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    step("VACUUM ANALYZE", t0)


def render(client, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/admin/")  # untimed: the first render compiles the templates
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/admin/")
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        assert b'id="relais-dashboard"' in response.content
    return timings, queries.captured_queries


def report(label, timings, queries):
    median = statistics.median(timings)
    print(f"{label}: median {median:.0f} ms, max {max(timings):.0f} ms over {len(timings)}")
    print(f"  {len(queries)} queries in the last render:")
    for query in sorted(queries, key=lambda q: -float(q["time"]))[:12]:
        sql = " ".join(query["sql"].split())
        print(f"    {float(query['time']) * 1000:7.1f} ms  {sql[:150]}")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=10_000_000)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--products", type=int, default=2)
    parser.add_argument("--releases", type=int, default=12, help="per product")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget-ms", type=float, default=1000)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    os.environ.update(ENV, DATABASE_URL=url)
    os.environ.pop("REDIS_URL", None)  # the page does not use the cache
    if not args.reuse:
        recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from licensing.models import Tenant, User

    print(f"dashboard bench on {urlsplit(url).path.lstrip('/')}", flush=True)
    if not args.reuse:
        call_command("migrate", verbosity=0)
        seed(args)
    admin, _ = User.objects.get_or_create(username="bench-admin", is_staff=True, is_superuser=True)
    tenant = Tenant.objects.order_by("slug").first()
    staff, _ = User.objects.get_or_create(
        username="bench-tenant", tenant=tenant, is_staff=True, is_superuser=True
    )
    from devices.models import Device
    from releases.models import UpdateSession

    print(
        f"{Device.objects.count()} devices, {UpdateSession.objects.count()} update sessions, "
        f"{args.tenants} tenants"
    )
    medians = []
    for label, user in (("platform staff", admin), (f"tenant staff ({tenant})", staff)):
        client = Client()
        client.force_login(user)
        timings, queries = render(client, args.repeat)
        medians.append(report(label, timings, queries))
    if max(medians) > args.budget_ms:
        print(f"over budget: {max(medians):.0f} ms > {args.budget_ms:.0f} ms")
        sys.exit(1)


if __name__ == "__main__":
    main()
