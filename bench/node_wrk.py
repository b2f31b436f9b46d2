"""The node hot path against the framework's floor, loaded by wrk (a C load generator).

In one run, against one gunicorn with the production settings and the same seeded fleet as
bench/update_check.py (it reuses its seeding): four routes, each loaded by
`wrk -t{--wrk-threads} -c{--connections}` for `--duration` s, `--rounds` times alternating:

- constant:   a plain Django view returning constant JSON through the full middleware;
- auth-floor: a plain Django view doing the node authentication's one ORM query;
- ping:       `GET /api/v1/ping` (authentication, throttle, contact-free constant body);
- check:      `GET /api/v1/updates/check?version=1.0.0` (every device is offered 1.M.0).

Each request takes a random device among `--sample` (bench/node.lua): its device token, or
with `--auth license-key` the license key and the device's `hardwareId`. It prints, per
route, the median over rounds of req/s, p50, p99, the CPU per request of the workers and of
workers + PostgreSQL + Redis (steadier than req/s on a shared or virtual machine: the
share of CPU the hypervisor stole is printed too), the check's ratios to the floors, and
the devices per core this implies at hourly polling. It exits
with status 1 when a response is not 2xx or a check body lacks `"updateAvailable":true`.

Env as bench/update_check.py (DATABASE_URL must name a database containing "bench").
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from update_check import (
    ROOT,
    bench_environment,
    recreate_database,
    seed,
    server_cpu,
    start_server,
    stop,
)

ROUTES = {
    "constant": ("/bench/constant", "-"),
    "auth-floor": ("/bench/auth-floor", "-"),
    "ping": ("/api/v1/ping", '"ok":true'),
    "check": ("/api/v1/updates/check?version=1.0.0", '"updateAvailable":true'),
}
LUA = Path(__file__).with_name("node.lua")


def services_cpu() -> dict[str, float]:
    """CPU seconds used so far by each PostgreSQL and Redis process (from /proc): with the
    workers', what a request costs the server side, whatever else runs on the machine."""
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # exited meanwhile
        if name.split("(", 1)[1] in ("postgres", "redis-server"):
            fields = fields.split()
            used[stat.parent.name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def services_spent(before: dict[str, float]) -> float:
    """CPU seconds the services used since `before` (a process that exited meanwhile, such
    as a PostgreSQL backend closing, is not counted: a slight undercount)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in services_cpu().items())


def steal() -> float:
    """CPU seconds the hypervisor took from this machine so far (/proc/stat)."""
    return int(Path("/proc/stat").read_text().split()[8]) / os.sysconf("SC_CLK_TCK")


def wrk(args, port, credentials, path, expect):
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}"]
    command += ["--", str(credentials), path, expect]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main():
    class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=Formatter)
    add = parser.add_argument
    add("--devices", type=int, default=100_000, help="devices seeded (N)")
    add("--releases", type=int, default=200, help="published releases (M)")
    add("--duration", type=int, default=10, help="seconds per route and round")
    add("--warmup", type=int, default=3, help="unmeasured seconds on each route, once")
    add("--rounds", type=int, default=3, help="alternations over the routes; medians reported")
    add("--connections", type=int, default=16, help="wrk connections (-c)")
    add("--wrk-threads", type=int, default=2, help="wrk threads (-t)")
    add("--sample", type=int, default=1000, help="random devices whose credentials are used")
    add("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    add("--threads", type=int, default=4, help="threads per gunicorn worker")
    add(
        "--worker-class",
        default="gthread",
        help="gunicorn worker class: gthread (WSGI), or uvicorn_worker.UvicornWorker (ASGI,"
        " as docker/gunicorn.conf.py runs Relais)",
    )
    add("--auth", choices=["token", "license-key"], default="license-key")
    add("--routes", default=",".join(ROUTES), help="comma-separated subset of the routes")
    add(
        "--fleet",
        type=Path,
        help="credentials file: reused with the database when it exists (no reseeding; the"
        " fleet options must match), written after seeding otherwise",
    )
    add(
        "--profile",
        type=Path,
        help="after the rounds, load each route once more under py-spy (both workers) and"
        " print where the workers' time goes; raw stacks are written to this directory",
    )
    args = parser.parse_args()
    routes = {name: ROUTES[name] for name in args.routes.split(",")}

    var_dir = bench_environment()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    server = None
    try:
        creds = args.fleet or Path(var_dir) / "credentials.tsv"
        if not creds.exists():
            recreate_database(os.environ["DATABASE_URL"])
            migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
            subprocess.run(migrate, cwd=ROOT, check=True)
            import django

            django.setup()
            _product, _key, credentials = seed(args.devices, args.releases, args.sample, args.auth)
            from django.db import connections

            connections.close_all()
            creds.write_text("".join(f"{bearer}\t{hw or ''}\n" for bearer, hw in credentials))
        subprocess.run(["redis-cli", "-u", os.environ["REDIS_URL"], "FLUSHDB"], check=True)
        server, port, flags = start_server(args)
        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
        for path, expect in routes.values():
            wrk(warm, port, creds, path, expect)
        load_before = os.getloadavg()[0]
        results = {name: [] for name in routes}
        for _ in range(args.rounds):
            for name, (path, expect) in routes.items():
                cpu, services, stolen = server_cpu(server), services_cpu(), steal()
                result = wrk(args, port, creds, path, expect)
                done = max(result["requests"], 1)
                workers = server_cpu(server) - cpu
                result["cpu_ms"] = workers * 1000 / done
                result["server_cpu_ms"] = (workers + services_spent(services)) * 1000 / done
                result["steal"] = (steal() - stolen) / (result["seconds"] * os.cpu_count())
                results[name].append(result)
        status = report(args, flags, load_before, results)
        if args.profile:
            profile(args, server, port, creds, routes)
        return status
    finally:
        stop(server, var_dir)


# Where a sample's time goes: the innermost frame matching a rule names it (rules are tried
# from the leaf up, so SQL under the ORM under authentication counts as SQL).
CATEGORIES = [
    ("SQL round trip (psycopg)", ("psycopg/", "django/db/backends/")),
    ("ORM: query building, model instances", ("django/db/models/", "django/db/utils")),
    ("cache / Redis round trips", ("redis/", "django/core/cache/")),
    ("JSON encoding", ("json/", "rest_framework/renderers", "rest_framework/utils/encoders")),
    ("node authentication (hashing, lookup)", ("/api/authentication.py", "licensing/keys.py")),
    ("throttle", ("core/api/throttles.py", "rest_framework/throttling.py")),
    ("update logic (catalogue, offer, signing)", ("releases/", "devices/platforms")),
    ("contact noting", ("devices/services/contacts.py",)),
    ("DRF request/response cycle", ("rest_framework/",)),
    ("view and node base", ("core/api/", "core/nodes", "/api/views.py")),
    (
        "middleware",
        (
            "django/middleware/",
            "django/contrib/",
            "axes/",
            "whitenoise/",
            "core/middleware",
            "django/utils/deprecation.py",
        ),
    ),
    (
        "Django handler, URL resolving, response",
        ("django/core/handlers/", "django/urls/", "django/http/"),
    ),
    ("HTTP server (gunicorn)", ("gunicorn/",)),
]


def categorise(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, marks in CATEGORIES:
            if any(mark in frame for mark in marks):
                return name
    return "other (interpreter, threads, logging)"


def profile(args, server, port, creds, routes):
    """Each route once more under py-spy: raw stacks of both workers, sampling only the thread
    holding the GIL (Python's CPU time; waits on PostgreSQL or Redis show as the socket
    calls they sit in only while the GIL is held)."""
    args.profile.mkdir(parents=True, exist_ok=True)
    workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    for name, (path, expect) in routes.items():
        spies = [
            subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    pid,
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--duration",
                    str(args.duration),
                    "--nonblocking",
                    "--gil",
                    "--output",
                    str(args.profile / f"{name}-{pid}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in workers
        ]
        wrk(args, port, creds, path, expect)
        for spy in spies:
            spy.wait(30)
        totals, samples = {}, 0
        for pid in workers:
            for line in (args.profile / f"{name}-{pid}.txt").read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                category = categorise(stack)
                totals[category] = totals.get(category, 0) + int(count)
                samples += int(count)
        print(f"\nprofile of {name} ({samples} samples of the worker thread holding the GIL):")
        for category, count in sorted(totals.items(), key=lambda item: -item[1]):
            print(f"  {count * 100 / samples:5.1f} %  {category}")


def report(args, flags, load_before, results):
    cores = os.cpu_count()
    print(
        f"machine: nproc={cores}, python {sys.version.split()[0]}, 1-min load average"
        f" {load_before:.2f} before and {os.getloadavg()[0]:.2f} after the load\n"
        f"gunicorn {flags}; {os.environ['DATABASE_URL']}; {os.environ['REDIS_URL']}\n"
        f"fleet: N={args.devices} devices, M={args.releases} releases, credentials of"
        f" {args.sample}; authentication: {args.auth}\n"
        f"wrk -t{args.wrk_threads} -c{args.connections}, {args.duration} s per route and round,"
        f" {args.rounds} round(s), medians over rounds\n"
    )
    medians, failed = {}, 0
    for name, rounds in results.items():
        rps = statistics.median(r["requests"] / r["seconds"] for r in rounds)
        p50 = statistics.median(r["p50_ms"] for r in rounds)
        p99 = statistics.median(r["p99_ms"] for r in rounds)
        cpu = statistics.median(r["cpu_ms"] for r in rounds)
        server = statistics.median(r["server_cpu_ms"] for r in rounds)
        stolen = statistics.median(r["steal"] for r in rounds)
        bad = sum(r["non2xx"] + r["unexpected_body"] + r["socket_errors"] for r in rounds)
        failed += bad
        medians[name] = rps, server
        every = " ".join(f"{r['requests'] / r['seconds']:.0f}" for r in rounds)
        print(
            f"{name:10} req/s={rps:7.1f} (rounds: {every})  p50={p50:6.2f} ms  p99={p99:6.2f} ms"
            f"  CPU/req: workers {cpu:4.2f} ms, +PostgreSQL+Redis {server:4.2f} ms"
            f"  steal {stolen:.0%}  errors={bad}"
        )
    if "check" in medians:
        for floor in ("auth-floor", "ping", "constant"):
            if floor not in medians:
                continue
            per_round = [
                c["requests"] / c["seconds"] / (f["requests"] / f["seconds"])
                for c, f in zip(results["check"], results[floor], strict=True)
            ]
            print(
                f"check / {floor}: req/s {statistics.median(per_round):.2f} (median of the"
                f" rounds' ratios), server CPU per request"
                f" {medians['check'][1] / medians[floor][1]:.2f}"
            )
        rps, server = medians["check"]
        print(
            f"hourly polling at the measured {rps:.0f} req/s: {rps * 3600 / cores:,.0f} devices"
            f" per core ({rps * 3600 / cores / 4:,.0f} with 4x peak headroom); by server CPU"
            f" per check ({server:.2f} ms): {3600_000 / server:,.0f} devices per core"
        )
    if failed:
        print(f"FAILED: {failed} responses were not 2xx or lacked the expected body")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: gunicorn stopped")
