"""Time the backoffice's change lists and object pages on a large fleet, on PostgreSQL.

It seeds the dashboard bench's database (bench/dashboard.py: tenants, licenses, N devices,
S update sessions, a running rollout), or reuses it with --reuse, then renders each page
in-process with Django's test client as platform staff, --repeat times, and prints the
median and max wall time and the query count of the last render, slowest first. Exit
status 1 if a median exceeds --budget-ms.

    .venv/bin/python bench/admin_lists.py --devices 1000000 --sessions 10000000
    .venv/bin/python bench/admin_lists.py --reuse   # on the dashboard bench's database

Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/relais_bench_dashboard).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dashboard  # noqa: E402 - the seed and the environment of the dashboard bench


def pages() -> list[tuple[str, str]]:
    """(label, URL) of every list and object page measured, on rows of the seeded fleet."""
    from devices.models import Device
    from releases.models import Release, Rollout

    device = Device.objects.order_by("pk").first()
    rollout = Rollout.objects.order_by("pk").first()
    release = Release.objects.order_by("pk").first()
    hardware_id = device.hardware_id if device else "hw-0"
    deep = max(0, min(500, Device.objects.count() // 100 - 1))  # page 500, or the last
    found = [
        ("device list", "/admin/devices/device/"),
        (f"device list, page {deep}", f"/admin/devices/device/?p={deep}"),
        ("device search by hardware id", f"/admin/devices/device/?q={hardware_id}"),
        ("device list, active on a platform", "/admin/devices/device/?status__exact=active"),
        ("update session list", "/admin/releases/updatesession/"),
        ("update session list, failed", "/admin/releases/updatesession/?status__exact=FAILED"),
        ("license list", "/admin/licensing/license/"),
        ("rollout list", "/admin/releases/rollout/"),
        ("release list", "/admin/releases/release/"),
        ("telemetry report list", "/admin/telemetry/telemetryreport/"),
        ("alert list", "/admin/telemetry/alert/"),
        ("event list", "/admin/core/event/"),
    ]
    if device:
        found.append(("device page", f"/admin/devices/device/{device.pk}/change/"))
    if rollout:
        found.append(("rollout page", f"/admin/releases/rollout/{rollout.pk}/change/"))
    if release:
        found.append(("release page", f"/admin/releases/release/{release.pk}/change/"))
    return found


def render(client, url, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # untimed: the first render compiles the templates
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings, len(queries.captured_queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=10_000_000)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--products", type=int, default=2)
    parser.add_argument("--releases", type=int, default=12, help="per product")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", dashboard.DEFAULT_DB)
    os.environ.update(dashboard.ENV, DATABASE_URL=url)
    os.environ.pop("REDIS_URL", None)
    if not args.reuse:
        dashboard.recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from licensing.models import User

    print(f"admin lists bench on {urlsplit(url).path.lstrip('/')}", flush=True)
    if not args.reuse:
        call_command("migrate", verbosity=0)
        dashboard.seed(args)
    admin, _ = User.objects.get_or_create(username="bench-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    results = []
    for label, page in pages():
        timings, queries = render(client, page, args.repeat)
        results.append((statistics.median(timings), max(timings), queries, label))
    over = [r for r in results if r[0] > args.budget_ms]
    for median, worst, queries, label in sorted(results, reverse=True):
        mark = "  OVER" if median > args.budget_ms else ""
        print(f"{median:8.0f} ms median {worst:8.0f} ms max {queries:4d} queries  {label}{mark}")
    if over:
        print(f"{len(over)} page(s) over {args.budget_ms:.0f} ms")
        sys.exit(1)


if __name__ == "__main__":
    main()
