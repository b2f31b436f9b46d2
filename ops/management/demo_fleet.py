"""A believable fleet for the demo (`manage.py demo_data --fleet N`), made through the
services a real fleet goes through: devices register with a license key, update sessions
are status reports, telemetry is ingested and raises alerts, a NEOPRO site gets commands and
answers them, webhook endpoints get deliveries. The history (14 days of updates, 7 days of
telemetry) is played at its own dates: `timezone.now` is moved for the duration of each step,
so every row, count and event carries the time it would have had."""

import contextlib
import random
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from commands.services import command_complete, command_create
from devices.models import Device
from devices.services.devices import device_contacts_flush, device_register, device_touch
from devices.services.sites import site_register
from licensing.models import Policy, Product, Tenant
from licensing.services import license_issue, tenant_create
from releases.cohorts import in_cohort
from releases.models import Release
from releases.services.releases import artifact_create, release_create, release_publish
from releases.services.rollouts import rollout_start
from releases.services.sessions import session_id, session_report
from telemetry.services.alerts import devices_offline_sweep
from telemetry.services.ingest import reports_record
from telemetry.services.maintenance import latest_metrics_flush, telemetry_rollup
from telemetry.validation import Report
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create, endpoint_flush

PREFIX = "DEMO-"
PLATFORMS = ["windows-x86_64"] * 6 + ["linux-x86_64"] * 2 + ["macos-aarch64", "linux-aarch64"]
HISTORY_DAYS = 14
TELEMETRY_DAYS = 7


@contextlib.contextmanager
def at(when):
    """The services see `when` as now (the demo's history only)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def fleet_exists() -> bool:
    return Device.objects.filter(hardware_id__startswith=PREFIX).exists()


def fleet_simulate(*, size: int, staff_email: str, staff_password: str, seed: int = 7) -> dict:
    rng = random.Random(seed)
    now = timezone.now()
    crm = Product.objects.get(slug="itstock-crm")
    keys = _licenses(crm, size)
    releases = _releases(crm, now)
    devices = _devices(rng, keys, size, now)
    _history(rng, devices, releases, keys, now)
    rollout = _rollout(rng, devices, releases["1.2.0"], keys, now)
    with _receiver() as port, override_settings(RELAIS_WEBHOOK_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        endpoints = _endpoints(port)
        _telemetry(rng, devices, now)
        site = _neopro_site(rng, staff_email, staff_password, now)
        for endpoint in endpoints:
            endpoint_flush(endpoint_id=endpoint.pk)
    failing = endpoints[-1] if endpoints else None
    return {
        "devices": len(devices),
        "rollout": rollout,
        "site": site,
        "failing_endpoint": failing,
    }


def _licenses(product, size) -> dict:
    """One license per tenant, big enough for its share of the fleet."""
    policy, _ = Policy.objects.get_or_create(
        product=product, name="Fleet", defaults={"max_devices": size + 10}
    )
    tenants = [Tenant.objects.get(slug="acme")]
    for slug, name, language in [
        ("boulangerie-martin", "Boulangerie Martin", "fr"),
        ("northwind", "Northwind Traders", "en"),
    ]:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_create(name=name, slug=slug, language=language)
        tenants.append(tenant)
    return {
        tenant: license_issue(tenant=tenant, policy=policy, name="Fleet", max_devices=size + 10).key
        for tenant in tenants
    }


def _releases(product, now) -> dict:
    found = {}
    for version, days_ago in [("1.0.0", 60), ("1.0.5", 30), ("1.1.0", 15), ("1.2.0", 1)]:
        release = Release.objects.filter(product=product, version=version).first()
        if release is None:
            with at(now - timedelta(days=days_ago)):
                release = release_create(
                    product=product, version=version, notes=f"- ITStock CRM {version}"
                )
                content = ContentFile(f"ITStock CRM {version} demo installer\n".encode() * 200)
                artifact_create(
                    release=release, file=content, filename=f"ITStock-CRM-{version}.exe"
                )
                release_publish(release=release)
        found[version] = release
    return found


def _devices(rng, keys, size, now) -> list:
    devices = []
    tenants = list(keys)
    for n in range(size):
        tenant = tenants[n % len(tenants)]
        version = rng.choices(["1.0.0", "1.0.5"], weights=[3, 7])[0]
        with at(now - timedelta(days=HISTORY_DAYS + rng.randint(1, 40))):
            registration = device_register(
                license_key=keys[tenant],
                hardware_id=f"{PREFIX}{n:05d}",
                name=f"{tenant.name.split()[0]}-PC-{n:04d}",
                os_version=rng.choice(["Windows 11", "Windows 10", "Ubuntu 24.04", "macOS 15"]),
                app_version=version,
                platform=rng.choice(PLATFORMS),
            )
        devices.append(registration.device)
    return devices


def _walk(license_key_device, release, status, when, error=""):
    """A device's update from its first report to `status`, each step a status report."""
    device, license = license_key_device
    sid = session_id(device.pk, release.pk)
    steps = ["DOWNLOADING", "DOWNLOADED", "INSTALLING"]
    if status == "DOWNLOADING":
        steps = ["DOWNLOADING"]
    elif status in ("COMPLETED", "FAILED"):
        steps = [*steps, status]
    for minute, step in enumerate(steps):
        with at(when + timedelta(minutes=3 * minute)):
            session_report(
                license=license,
                device=device,
                session=sid,
                status=step,
                percent=100 if step != "DOWNLOADING" else 40,
                error=error if step == "FAILED" else "",
                from_version=device.app_version,
            )


def _history(rng, devices, releases, keys, now) -> None:
    """Two weeks of updates to 1.1.0 (no rollout: offered to all), a few failing."""
    for device in devices:
        if rng.random() > 0.7:
            continue
        when = now - timedelta(days=rng.randint(1, HISTORY_DAYS - 1), hours=rng.randint(0, 20))
        failed = rng.random() < 0.06
        _walk(
            (device, device.license),
            releases["1.1.0"],
            "FAILED" if failed else "COMPLETED",
            when,
            error="Installer exited with code 1603" if failed else "",
        )
        device.refresh_from_db(fields=["app_version"])


def _rollout(rng, devices, release, keys, now):
    """1.2.0 rolling out at 25 %: most of the cohort done, a few failing, some under way."""
    with at(now - timedelta(hours=20)):
        rollout = rollout_start(
            release=release,
            stages=[
                {"percent": 25, "holdMinutes": 24 * 60},
                {"percent": 50, "holdMinutes": 24 * 60},
                {"percent": 100, "holdMinutes": 0},
            ],
            max_failure_rate=10.0,
            min_sample=20,
        )
    cohort = [d for d in devices if in_cohort(release.pk, d.pk, 25)]
    for device in cohort:
        roll = rng.random()
        status = "COMPLETED" if roll < 0.7 else "FAILED" if roll < 0.76 else "DOWNLOADING"
        if roll > 0.9:
            continue  # not checked in yet
        _walk(
            (device, device.license),
            release,
            status,
            now - timedelta(hours=rng.randint(1, 18), minutes=rng.randint(0, 59)),
            error="Checksum mismatch after download" if status == "FAILED" else "",
        )
    return rollout


def _metrics(rng, hot=False, warm=False):
    return {
        "cpu": round(rng.uniform(5, 60), 1),
        "memory": round(rng.uniform(35, 80), 1),
        "temperature": round(
            rng.uniform(81, 86) if hot else rng.uniform(76, 79) if warm else rng.uniform(40, 65),
            1,
        ),
        "disk": round(rng.uniform(20, 85), 1),
        "uptime": rng.randint(3600, 900000),
    }


def _telemetry(rng, devices, now) -> None:
    """Every device reports now (a tenth stay silent for two days: offline); the first
    thirty have a week of history, a few running hot (alerts, some recovered)."""
    silent = set(rng.sample(range(len(devices)), k=max(1, len(devices) // 10)))
    for index, device in enumerate(devices):
        history = index < 30
        steps = TELEMETRY_DAYS * 8 if history else 1
        # Every 7th device ran hot a while ago (alerts since resolved), every 14th still does.
        hot_from = (0 if index % 14 == 0 else rng.randint(2, 10)) if index % 7 == 0 else None
        last = now - timedelta(days=2) if index in silent else now - timedelta(minutes=2)
        reports = []
        for step in range(steps):
            when = last - timedelta(hours=3 * step)
            hot = hot_from is not None and step in range(hot_from, hot_from + 3)
            metrics = _metrics(rng, hot=hot and index % 28 != 0, warm=hot and index % 28 == 0)
            reports.append(Report(metrics=metrics, reported_at=when, version=device.app_version))
        with at(last):
            reports_record(
                tenant_id=device.tenant_id, device=device, reports=reports, received_at=last
            )
        device_touch(device_id=device.pk, seen_at=last)  # what the contacts' flush writes
        if hot_from is not None or index in silent:
            with at(last):
                latest_metrics_flush(now=last)
    device_contacts_flush()
    latest_metrics_flush(now=now)
    devices_offline_sweep(now=now)
    telemetry_rollup(now=now + timedelta(minutes=10))  # the device pages' hourly charts


def _neopro_site(rng, email, password, now):
    """A NEOPRO site of Acme with its commands: answered, failed and still queued."""
    site = Device.objects.filter(hardware_id=f"{PREFIX}NEOPRO-LYON").first()
    if site is None:
        site = site_register(
            email=email,
            password=password,
            profile={"siteName": "Club Lyon", "city": "Lyon"},
            hardware_id=f"{PREFIX}NEOPRO-LYON",
        ).site
    plan = [
        ("restart_service", {"service": "neopro-app"}, "success", {"restarted": True}),
        ("get_logs", {"service": "neopro-sync-agent", "lines": 50}, "success", {"lines": 50}),
        ("restart_service", {"service": "neopro-admin"}, "failed", {"error": "unit not found"}),
        ("get_logs", {"service": "neopro-app", "lines": 100}, None, None),
    ]
    for hours, (type_, data, status, result) in zip([30, 20, 6, 1], plan, strict=True):
        with at(now - timedelta(hours=hours)):
            command = command_create(device=site, type=type_, data=data)
        if status is not None:
            with at(now - timedelta(hours=hours) + timedelta(minutes=2)):
                command_complete(device=site, command_id=command.pk, status=status, result=result)
    return site


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _receiver():
    """A webhook receiver on this machine for the demo's run (its port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _endpoints(port) -> list:
    """Two of Acme's endpoints for its alerts: one answering (the receiver above), one
    that nothing answers (its deliveries fail and are retried with backoff)."""
    acme = Tenant.objects.get(slug="acme")
    if WebhookEndpoint.objects.filter(tenant=acme, description__startswith="Demo").exists():
        return []
    closed = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    closed_port = closed.server_address[1]
    closed.server_close()  # nothing listens there any more
    return [
        endpoint_create(
            tenant=acme,
            url=f"http://127.0.0.1:{target}/relais",
            event_types=["alert.*"],
            description=description,
        ).endpoint
        for target, description in [
            (port, "Demo: the helpdesk"),
            (closed_port, "Demo: a receiver that is down"),
        ]
    ]
