"""Throughput of telemetry ingest, against its floor.

A fleet of a million devices reporting every 30 s to 5 min sends 3,300 to 33,000 reports a
second, so the single-report route is compared with `GET /api/v1/ping` (same device-token
authentication, constant body) and the batch route is measured in rows a second.

In one run the script recreates the PostgreSQL database (its name must contain "bench"),
migrates, seeds N devices (bench/update_check.py's seeding, no release), counts the SQL of one
single report and one batch of 500 in-process, starts gunicorn with the production settings
and Redis as cache, then loads in turn, each from its own spawned process with keep-alive
connections: ping, `POST /api/v1/telemetry` with one report, and with a batch of `--batch`
reports. It prints req/s, p50, p99, the workers' CPU per request, the ratio single ÷ ping,
rows a second on the batch route, and the rows really stored. Finally it times the ingest
service's INSERT alone in-process for two seconds (rows a second into PostgreSQL without HTTP).
Gunicorn is stopped at the end, on error and on Ctrl-C. Env: DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/relais_bench), REDIS_URL (default redis://127.0.0.1:6379/15).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from update_check import (  # noqa: E402 - the sibling script's machinery
    ROOT,
    bench_environment,
    percentile,
    recreate_database,
    seed,
    server_cpu,
    start_server,
    stop,
)

PING, TELEMETRY = "/api/v1/ping", "/api/v1/telemetry"


def report_body(i: int) -> dict:
    return {
        "metrics": {
            "cpu": 10 + i % 50,
            "memory": 40.5 + i % 30,
            "temperature": 50 + i % 20,
            "disk": 60.25,
            "load": 0.5,
        },
        "uptime": 3600 + i,
        "version": "1.0.0",
    }


def bodies(batch: int) -> dict[str, tuple[str, str, bytes | None]]:
    single = json.dumps(report_body(0)).encode()
    many = json.dumps({"reports": [report_body(i) for i in range(batch)]}).encode()
    return {
        "ping": ("GET", PING, None),
        "single": ("POST", TELEMETRY, single),
        "batch": ("POST", TELEMETRY, many),
    }


def load(port, method, path, body, tokens, concurrency, warmup, duration):
    measure_from = time.perf_counter() + warmup
    stop = measure_from + duration

    def run(seed_):
        rng, conn, latencies, errors, samples, total = random.Random(seed_), None, [], 0, [], 0
        for _ in range(10_000_000):
            if time.perf_counter() >= stop:
                break
            headers = {"Authorization": f"Bearer {rng.choice(tokens)}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            t0 = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text, status = response.read(), response.status
            except (OSError, http.client.HTTPException):
                conn, text, status = None, b"", 0
            t1 = time.perf_counter()
            total += 1
            if t0 < measure_from or t1 > stop:
                continue
            latencies.append((t1 - t0) * 1000)
            ok = 200 <= status < 300
            errors += not ok
            if not ok and len(samples) < 3:
                samples.append((status, text[:500].decode(errors="replace")))
        return latencies, errors, samples, total

    with ThreadPoolExecutor(concurrency) as pool:
        parts = list(pool.map(run, range(concurrency)))
    return {
        "latencies": sorted(x for part in parts for x in part[0]),
        "errors": sum(part[1] for part in parts),
        "samples": [s for part in parts for s in part[2]],
        "total": sum(part[3] for part in parts),
    }


def drive(server, port, spec, tokens, args):
    cpu = server_cpu(server)
    ignore_ctrl_c = (signal.SIGINT, signal.SIG_IGN)
    with multiprocessing.get_context("spawn").Pool(1, signal.signal, ignore_ctrl_c) as pool:
        job = (port, *spec, tokens, args.concurrency, args.warmup, args.duration)
        result = pool.apply_async(load, job).get(timeout=args.warmup + args.duration + 60)
    result["cpu_ms"] = (server_cpu(server) - cpu) * 1000 / max(result["total"], 1)
    return result


def count_queries(token, specs):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, counts = Client(HTTP_AUTHORIZATION=f"Bearer {token}"), {}
    for name in ("single", "batch", "single"):  # the second single: rules warm
        _method, path, body = specs[name]
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, body, content_type="application/json")
        assert response.status_code == 201, response.content
        counts[name] = len(captured.captured_queries)
    return counts


def insert_rate(batch: int, seconds: float = 2.0) -> float:
    """Rows a second through ingest.reports_insert alone (no HTTP, no validation)."""
    from django.utils import timezone

    from devices.models import Device
    from telemetry.services.ingest import reports_insert
    from telemetry.validation import Report

    device = Device.objects.first()
    reports = [Report(metrics=report_body(i)["metrics"], uptime=i) for i in range(batch)]
    rows, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        rows += reports_insert(
            tenant_id=device.tenant_id,
            device_id=device.pk,
            reports=reports,
            received_at=timezone.now(),
        )
    return rows / (time.perf_counter() - start)


def main():
    class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=Formatter)
    add = parser.add_argument
    add("--devices", type=int, default=10_000, help="devices seeded")
    add("--batch", type=int, default=500, help="reports per batch post (at most 500)")
    add("--duration", type=float, default=8, help="measured seconds per endpoint")
    add("--warmup", type=float, default=1, help="unmeasured seconds before each endpoint")
    add("--concurrency", type=int, default=8, help="client threads, one connection each")
    add("--sample", type=int, default=1000, help="random devices whose tokens are used")
    add("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    add("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()

    var_dir = bench_environment()
    server = None
    try:
        recreate_database(os.environ["DATABASE_URL"])
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
        subprocess.run(migrate, cwd=ROOT, check=True)
        import django

        django.setup()
        from django.core.cache import cache
        from django.db import connections

        from telemetry.models import TelemetryReport

        cache.clear()
        _product, _key, credentials = seed(args.devices, 0, args.sample, "device-token")
        tokens = [token for token, _hardware_id in credentials]
        specs = bodies(args.batch)
        queries = count_queries(tokens[0], specs)
        connections.close_all()
        server, port, flags = start_server(args)
        stored_before = TelemetryReport.objects.count()
        connections.close_all()
        results = {name: drive(server, port, spec, tokens, args) for name, spec in specs.items()}
        stored = TelemetryReport.objects.count() - stored_before
        rate = insert_rate(args.batch)
        print(
            f"\nmachine: nproc={os.cpu_count()}, 1-min load average {os.getloadavg()[0]:.2f}"
            f"\ngunicorn {flags}; {os.environ['DATABASE_URL']}; {os.environ['REDIS_URL']}"
            f"\nseed: N={args.devices} devices; load: {args.concurrency} threads, warm-up"
            f" {args.warmup} s, measured {args.duration} s per endpoint"
        )
        print(f"SQL queries: single {queries['single']}, batch of {args.batch} {queries['batch']}")
        figures = {}
        for name, result in results.items():
            ordered = result["latencies"]
            rps = len(ordered) / args.duration
            figures[name] = (rps, result["cpu_ms"])
            print(
                f"{name:6} requests={len(ordered):6d} errors={result['errors']} req/s={rps:8.1f}"
                f" p50={percentile(ordered, 0.5):7.2f} ms p99={percentile(ordered, 0.99):7.2f} ms"
                f" worker CPU/req={result['cpu_ms']:.2f} ms"
            )
        single, ping, batch = figures["single"], figures["ping"], figures["batch"]
        print(
            f"ratio single/ping: req/s {single[0] / ping[0]:.2f}, CPU/req {single[1] / ping[1]:.2f}"
        )
        print(
            f"batch route: {batch[0] * args.batch:,.0f} rows/s"
            f" ({batch[1] / args.batch * 1000:.1f} µs of worker CPU per row)"
        )
        print(f"rows stored during the load: {stored:,}")
        print(f"INSERT alone, in-process, batches of {args.batch}: {rate:,.0f} rows/s")
        errors = sum(r["errors"] for r in results.values())
        if errors:
            print(
                "error samples:", *[s for r in results.values() for s in r["samples"]], sep="\n  "
            )
        over = queries["single"] > 2 or queries["batch"] > 3
        return 1 if errors or over else 0
    finally:
        stop(server, var_dir)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: gunicorn stopped")
