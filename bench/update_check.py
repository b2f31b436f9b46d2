"""Throughput and latency of the update check, against its floor.

Every node calls `GET /api/v1/updates/check` on a timer: the fleet pays for it once per device
per interval. Its budget is authentication plus a cached catalogue (one SQL query warm, two
cold, no write). This script checks that budget in-process, then measures the check against
`GET /api/v1/ping` (same authentication, constant body): the ratio check / ping is the price
of the update logic itself and should stay near 1 whatever the devices (N) and releases (M).

It recreates the PostgreSQL database (name must contain "bench"), migrates, seeds one tenant,
product, unlimited policy and license, N devices and M published releases (1.1.0 to 1.M.0, one
small artifact each), starts gunicorn with the production settings, then loads each endpoint
in turn from a separate process: `--concurrency` threads on keep-alive http.client connections,
`--warmup` s unmeasured, then every request's latency for `--duration` s; it also reads the
gunicorn workers' CPU time per request, steadier than wall time on a shared host. Gunicorn is
stopped at the end, on error and on Ctrl-C. Env: DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/relais_bench), REDIS_URL (default redis://127.0.0.1:6379/15), and whatever the
settings read (DJANGO_CONN_MAX_AGE...) passes through to gunicorn.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHECK, PING, HEALTH = "/api/v1/updates/check?version=1.0.0", "/api/v1/ping", "/api/v1/health"
PATHS = {"check": CHECK, "ping": PING}
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
    "RELAIS_KEY_PEPPER": "bench-only-pepper-0123456789",  # seeding and gunicorn hash alike
    # Production refuses to start without a signing key: a bench-only one (offers are
    # signed as in production, when the catalogue is built).
    "RELAIS_SIGNING_KEY": "op5Pc/HtNeku6zzTORaP/I1/TUrkNMUmMtmbrnXr44g=",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "RELAIS_THROTTLE_NODE": "100000000/min",
    "DJANGO_LOG_LEVEL": "WARNING",
}
EXPECT = b'"updateAvailable":true'  # in every check body (DRF renders compact JSON)


def with_hardware_id(path, hardware_id):
    if not hardware_id:
        return path
    return f"{path}{'&' if '?' in path else '?'}hardwareId={hardware_id}"


def load(port, path, tokens, concurrency, warmup, duration):
    """One endpoint's load, in its own process: latencies (ms) of the requests that completed
    inside the measured window, non-2xx count, checks without EXPECT, a few bodies."""
    measure_from = time.perf_counter() + warmup
    stop = measure_from + duration

    def run(seed):
        rng, conn, latencies, errors, unexpected, samples = random.Random(seed), None, [], 0, 0, []
        total = 0  # completed requests, warm-up included: for the server's CPU per request
        for _ in range(10_000_000):  # bounded in count as well as in time
            if time.perf_counter() >= stop:
                break
            bearer, hardware_id = rng.choice(tokens)
            headers = {"Authorization": f"Bearer {bearer}"}
            t0 = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", with_hardware_id(path, hardware_id), headers=headers)
                response = conn.getresponse()
                body, status = response.read(), response.status
            except (OSError, http.client.HTTPException):
                conn, body, status = None, b"", 0
            t1 = time.perf_counter()
            total += 1
            if t0 < measure_from or t1 > stop:
                continue
            latencies.append((t1 - t0) * 1000)
            ok = 200 <= status < 300
            errors += not ok
            unexpected += ok and path.startswith(CHECK) and EXPECT not in body
            if len(samples) < 2 or (not ok and len(samples) < 5):
                samples.append((status, body[:2000].decode(errors="replace")))
        return latencies, errors, unexpected, samples, total

    with ThreadPoolExecutor(concurrency) as pool:
        parts = list(pool.map(run, range(concurrency)))
    return {
        "latencies": sorted(x for part in parts for x in part[0]),
        "errors": sum(part[1] for part in parts),
        "unexpected": sum(part[2] for part in parts),
        "samples": [s for part in parts for s in part[3]],
        "total": sum(part[4] for part in parts),
    }


def server_cpu(server):
    """CPU seconds (user + system) used so far by gunicorn's workers, from /proc."""
    seconds = 0.0
    for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def drive(server, port, path, tokens, args):
    """Run `load` in a fresh process (spawned: nothing of Django's state inherited); add the
    workers' CPU time per request, less sensitive than wall time to other work on the host."""
    cpu = server_cpu(server)
    ignore_ctrl_c = (signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    with multiprocessing.get_context("spawn").Pool(1, signal.signal, ignore_ctrl_c) as pool:
        job = (port, path, tokens, args.concurrency, args.warmup, args.duration)
        result = pool.apply_async(load, job).get(timeout=args.warmup + args.duration + 60)
    result["cpu_ms"] = (server_cpu(server) - cpu) * 1000 / max(result["total"], 1)
    return result


def merge(parts):
    """One endpoint's figures over several rounds."""
    merged = {key: sum((part[key] for part in parts), []) for key in ("latencies", "samples")}
    merged["latencies"].sort()
    for key in ("errors", "unexpected"):
        merged[key] = sum(part[key] for part in parts)
    merged["cpu_ms"] = sum(p["cpu_ms"] * p["total"] for p in parts) / sum(p["total"] for p in parts)
    return merged


def recreate_database(url):
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop database {name!r}: its name must contain 'bench'.")
    with psycopg.connect(urlsplit(url)._replace(path="/postgres", query="").geturl()) as conn:
        conn.autocommit = True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(devices, releases, sample, auth):
    """Seed N devices (bulk_create) and M releases (services), then ANALYZE; return the
    product, the license key and the credentials of `sample` random devices: (device token, None), or
    (license key, hardware id) with `--auth license-key`."""
    from django.core.files.base import ContentFile

    from devices.models import Device
    from licensing.keys import secret_hash, token_generate
    from licensing.models import Policy, Product, Tenant
    from licensing.services import license_issue
    from releases.services.releases import artifact_create, release_create, release_publish

    tenant = Tenant.objects.create(name="Bench", slug="bench")
    product = Product.objects.create(name="Bench App", slug="bench-app")
    policy = Policy.objects.create(product=product, name="Unlimited", max_devices=None)
    issued = license_issue(tenant=tenant, policy=policy)
    license = issued.license
    clear = [token_generate("dvt") for _ in range(devices)]
    common = {"tenant": tenant, "license": license, "product": product, "app_version": "1.0.0"}
    for start in range(0, devices, 5000):
        Device.objects.bulk_create(
            Device(
                hardware_id=f"hw-{i:07d}",
                platform="windows-x86_64",
                **common,
                token_hash=secret_hash(clear[i]),
                token_prefix=clear[i][:12],
            )
            for i in range(start, min(start + 5000, devices))
        )
    for minor in range(1, releases + 1):
        version = f"1.{minor}.0"
        release = release_create(product=product, version=version, notes=f"- Version {version}")
        content = ContentFile(f"bench {version}\n".encode() * 64, name=f"app-{version}.zip")
        artifact_create(release=release, file=content, platform="any")
        release_publish(release=release)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as in production: the planner has statistics
    picked = random.Random(0).sample(range(devices), min(sample, devices))
    if auth == "license-key":
        return product, issued.key, [(issued.key, f"hw-{i:07d}") for i in picked]
    return product, issued.key, [(clear[i], None) for i in picked]


def license_key_plan(key, hardware_id):
    """PostgreSQL's plan for the device lookup of a license-key + hardwareId request."""
    from django.db import connection

    from devices.models import Device
    from licensing.keys import license_key_normalize, secret_hash

    # The node authenticator's lookup, written with the public ORM: the active device with
    # its license and tenant, by key hash and hardware id.
    rows = Device.objects.filter(
        status=Device.Status.ACTIVE,
        license__key_hash=secret_hash(license_key_normalize(key)),
        hardware_id=hardware_id,
    ).select_related("license", "tenant")[:1]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def count_queries(product, credential):
    """SQL of one check on a cold catalogue, one on a warm one, and one ping (in-process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from releases.catalogue import catalogue_invalidate

    catalogue_invalidate(product.pk)  # autocommit: runs at once
    bearer, hardware_id = credential
    client, counts = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}"), {}
    for label, path in (("check cold", CHECK), ("check warm", CHECK), ("ping", PING)):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(with_hardware_id(path, hardware_id))
        assert response.status_code == 200, (path, response.status_code, response.content)
        counts[label] = [q["sql"] for q in captured.captured_queries]
    return counts


def start_server(args):
    """Gunicorn on a free port, healthy; returns (process, port, flags)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    worker_class = getattr(args, "worker_class", "gthread")
    app = "config.wsgi:application"
    if worker_class == "gthread":
        flags = f"-w {args.workers} --worker-class gthread --threads {args.threads}"
    else:  # ASGI workers, as docker/gunicorn.conf.py runs them
        flags, app = f"-w {args.workers} --worker-class {worker_class}", "config.asgi:application"
    command = [str(Path(sys.executable).parent / "gunicorn"), app]
    command += ["-b", f"127.0.0.1:{port}", *flags.split()]
    command += ["--no-control-socket", "--log-level", "warning"]
    if app == "config.asgi:application":  # a pool of connections only when asked
        flags += f"; DJANGO_DB_POOL={os.environ.get('DJANGO_DB_POOL', 'false')}"
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", HEALTH)
            if conn.getresponse().status == 200:
                return server, port, flags
        except OSError:
            pass
        time.sleep(0.2)
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
    raise RuntimeError(f"gunicorn not healthy within 30 s (exit code {server.poll()})")


def bench_environment() -> str:
    """The environment every bench runs in (BENCH_ENV, database and Redis defaults, media
    and static files in a fresh temporary directory, not the tree's var/); returns that
    directory, for `stop` to remove."""
    var_dir = tempfile.mkdtemp(prefix="relais-bench-")
    os.makedirs(os.path.join(var_dir, "static"))
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relais_bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ.update(BENCH_ENV, RELAIS_VAR_DIR=var_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(ROOT))
    return var_dir


def stop(server, var_dir) -> None:
    """Stop gunicorn (its own session: the master and its workers), remove `var_dir`."""
    if server is not None and server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    shutil.rmtree(var_dir, ignore_errors=True)


def percentile(ordered, p):
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def report(args, results, queries):
    """Print the figures; return the exit status (1 when a budget or a response failed)."""
    for label, sqls in queries.items():
        print(f"SQL queries, {label}: {len(sqls)}")
    over = len(queries["check cold"]) > 2 or len(queries["check warm"]) > 1
    if over:
        print("  over budget (cold <= 2, warm <= 1):", *queries["check cold"], sep="\n    ")
    figures = {}
    for name, result in results.items():
        ordered = result["latencies"]
        rps = len(ordered) / args.duration / args.rounds
        p50, cpu = percentile(ordered, 0.5), result["cpu_ms"]
        figures[name] = rps, p50, cpu
        print(
            f"{name:5} requests={len(ordered):6d} errors={result['errors']} req/s={rps:7.1f} "
            f"p50={p50:6.2f} ms p99={percentile(ordered, 0.99):6.2f} ms worker CPU/req={cpu:.2f} ms"
        )
    ratios = [check / ping for check, ping in zip(figures["check"], figures["ping"], strict=True)]
    print("ratio check/ping: req/s {:.2f}, p50 {:.2f}, worker CPU/req {:.2f}".format(*ratios))
    check = results["check"]
    offered = json.loads(check["samples"][0][1])
    print(
        f"check sample: version {offered['version']}, updateAvailable {offered['updateAvailable']}"
    )
    assert offered["version"] == f"1.{args.releases}.0", offered
    assert check["unexpected"] == 0, f"{check['unexpected']} checks lacked updateAvailable true"
    errors = sum(r["errors"] for r in results.values())
    if errors:
        print("error samples:", *[s for r in results.values() for s in r["samples"]], sep="\n  ")
    return 1 if errors or over else 0


def main():
    class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=Formatter)
    add = parser.add_argument
    add("--devices", type=int, default=10_000, help="devices seeded (N)")
    add("--releases", type=int, default=50, help="published releases (M), 1.1.0 to 1.M.0")
    add("--duration", type=float, default=10, help="measured seconds per endpoint")
    add("--warmup", type=float, default=2, help="unmeasured seconds before each endpoint")
    add("--concurrency", type=int, default=8, help="client threads, one connection each")
    add("--sample", type=int, default=1000, help="random devices whose tokens are used")
    add("--rounds", type=int, default=1, help="alternations check, ping; figures over all")
    add("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    add("--threads", type=int, default=4, help="threads per gunicorn worker")
    add(
        "--auth",
        choices=["token", "license-key"],
        default="token",
        help="device token, or license key + hardwareId as the CRM client sends",
    )
    args = parser.parse_args()

    var_dir = bench_environment()
    server = None
    try:
        t0 = time.monotonic()
        recreate_database(os.environ["DATABASE_URL"])
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
        subprocess.run(migrate, cwd=ROOT, check=True)
        t1 = time.monotonic()
        import django

        django.setup()
        product, key, tokens = seed(args.devices, args.releases, args.sample, args.auth)
        t2 = time.monotonic()
        queries = count_queries(product, tokens[0])
        plan = license_key_plan(key, "hw-0000000")
        print("license key + hardwareId lookup, after ANALYZE:", plan, sep="\n  ")
        # A table of a few rows is rightly scanned whole: the guard is for real fleets (the
        # tests run this script with a handful of devices).
        if args.devices >= 1000 and "device_unique_license_hardware" not in plan:
            sys.exit("the license-key lookup left the (license, hardware_id) index")
        from django.db import connections

        db = connections["default"].settings_dict
        connections.close_all()
        server, port, flags = start_server(args)
        load_before = os.getloadavg()[0]
        results = {name: [] for name in PATHS}
        for _ in range(args.rounds):  # check, ping, check, ping...: spreads bursts of other work
            for name, path in PATHS.items():
                results[name].append(drive(server, port, path, tokens, args))
        results = {name: merge(parts) for name, parts in results.items()}
        print(
            f"\nmachine: nproc={os.cpu_count()}, python {sys.version.split()[0]}, 1-min load"
            f" average {load_before:.2f} before and {os.getloadavg()[0]:.2f} after the load\n"
            f"gunicorn {flags}; {os.environ['DATABASE_URL']} CONN_MAX_AGE={db['CONN_MAX_AGE']}"
            f" CONN_HEALTH_CHECKS={db['CONN_HEALTH_CHECKS']}; {os.environ['REDIS_URL']}\n"
            f"seed: N={args.devices} devices, M={args.releases} releases in {t2 - t1:.1f} s"
            f" (migrate {t1 - t0:.1f} s); tokens of {len(tokens)} devices in use\n"
            f"authentication: {args.auth}\n"
            f"load: {args.concurrency} threads, warm-up {args.warmup} s, measured {args.duration} s"
            f" per endpoint and round, {args.rounds} round(s)"
        )
        return report(args, results, queries)
    finally:
        stop(server, var_dir)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: gunicorn stopped")
