"""Every bench/ script runs at a tiny size, so none rots unnoticed (they seed with raw SQL and
the ORM of the day). They need PostgreSQL (each recreates a database whose name contains
"bench") and, for the servers they start, Redis; wrk for node_wrk.py."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--devices", "20", "--sample", "5", "--workers", "1", "--threads", "2"]
LOAD = ["--duration", "1", "--warmup", "0"]

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    or not os.environ.get("REDIS_URL"),
    reason="bench/ scripts run on PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
)


def _bench(script, *args, database):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_dashboard_seeds_and_renders():
    out = _bench(
        "dashboard.py",
        *("--devices", "200", "--sessions", "500", "--tenants", "3", "--products", "1"),
        *("--releases", "2", "--repeat", "1", "--budget-ms", "100000"),  # runs, not timed
        database="relais_bench_t_dashboard",
    )
    assert "platform staff" in out and "tenant staff" in out


def test_update_check_offers_the_newest_release():
    out = _bench(
        "update_check.py",
        *TINY,
        *LOAD,
        *("--releases", "2", "--concurrency", "2"),
        database="relais_bench_t_update_check",
    )
    assert "check sample: version 1.2.0, updateAvailable True" in out


def test_telemetry_stores_what_it_loads():
    out = _bench(
        "telemetry.py",
        *TINY,
        *LOAD,
        *("--concurrency", "2", "--batch", "10"),
        database="relais_bench_t_telemetry",
    )
    assert "rows stored during the load" in out


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk (Debian's package) is not installed")
def test_node_wrk_loads_every_route_and_node_lookup_times_both_lookups(tmp_path):
    fleet = tmp_path / "fleet.tsv"
    out = _bench(
        "node_wrk.py",
        *TINY,
        *("--duration", "1", "--warmup", "1"),  # wrk takes no zero-second run
        *("--releases", "2", "--rounds", "1", "--connections", "2", "--wrk-threads", "1"),
        *("--auth", "license-key", "--fleet", str(fleet)),
        database="relais_bench_t_node_wrk",
    )
    assert "check" in out
    out = _bench(
        "node_lookup.py",
        *("--fleet", str(fleet), "--lookups", "5", "--rounds", "1"),
        database="relais_bench_t_node_wrk",
    )
    assert "through_the_orm" in out and "in_sql" in out


def test_telemetry_partitions_compares_both_layouts():
    out = _bench(
        "telemetry_partitions.py",
        *("--rows", "5000", "--devices", "20", "--ingest-seconds", "0.2", "--repeat", "1"),
        database="relais_bench_t_partitions",
    )
    assert "plain " in out and "partitioned " in out and "oldest day removed" in out


def test_admin_lists_render_every_page():
    out = _bench(
        "admin_lists.py",
        *("--devices", "200", "--sessions", "500", "--tenants", "3", "--products", "1"),
        *("--releases", "2", "--repeat", "1", "--budget-ms", "100000"),
        database="relais_bench_t_admin_lists",
    )
    for label in ("device list, page 1", "update session list", "device page", "rollout page"):
        assert label in out
