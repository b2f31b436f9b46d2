"""The dashboard's reads: a fixed number of aggregate queries, each on an index, whatever the
fleet, the number of products or of rollouts (counted in releases/tests/test_dashboard.py).
Everything is scoped to the viewer: tenant staff see their tenant's devices, sessions and
licenses, and the rollouts they can see."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.tenancy import scope_for_user
from devices.models import Device
from licensing.models import License, Product

from ..models import Release, Rollout, UpdateDay, UpdateSession
from ..versions import parse_version

S = UpdateSession.Status
FAILURES = {S.FAILED, S.ROLLED_BACK}
FINISHED = {S.COMPLETED, *FAILURES}
DAYS = 14


def _key(version: str):
    try:
        return (1, parse_version(version))
    except ValueError:
        return (0, None)


@dataclass
class ProductPanel:
    product: Product
    versions: list[tuple[str, int]] = field(default_factory=list)  # newest first
    platforms: list[tuple[str, int]] = field(default_factory=list)  # most devices first
    latest: str | None = None
    up_to_date: int = 0
    successes: list[int] = field(default_factory=lambda: [0] * DAYS)
    failures: list[int] = field(default_factory=lambda: [0] * DAYS)

    @property
    def devices(self) -> int:
        return sum(n for _v, n in self.versions)

    @property
    def share_up_to_date(self) -> float:
        return 100.0 * self.up_to_date / self.devices if self.devices else 0.0


@dataclass
class RolloutPanel:
    rollout: Rollout
    audience: int  # active devices it targets
    sessions: dict[str, int]
    # Per day of the dashboard's window: (finished, failed) sessions that ended that day.
    daily: list[tuple[int, int]] = field(default_factory=lambda: [(0, 0)] * DAYS)

    @property
    def daily_failure_rates(self) -> list[float | None]:
        """The failure rate of the sessions finished each day (None: none finished)."""
        return [100.0 * failed / done if done else None for done, failed in self.daily]

    @property
    def cohort(self) -> int:
        """Expected cohort size: the audience at the current percent (buckets are uniform)."""
        return round(self.audience * self.rollout.percent / 100)

    @property
    def finished(self) -> int:
        return sum(n for s, n in self.sessions.items() if s in FINISHED)

    @property
    def failure_rate(self) -> float | None:
        failed = sum(n for s, n in self.sessions.items() if s in FAILURES)
        return 100.0 * failed / self.finished if self.finished else None


def _first_day(now):
    """Midnight (local time) of the first of the last DAYS days."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=DAYS - 1)


def _latest_versions(user) -> dict:
    """Per product, the newest published version the viewer's devices can be offered."""
    rows = scope_for_user(Release.objects.all(), user).filter(status=Release.Status.PUBLISHED)
    latest: dict = {}
    for product_id, version in rows.values_list("product_id", "version"):
        if product_id not in latest or _key(version) > _key(latest[product_id]):
            latest[product_id] = version
    return latest


def _active_devices(user) -> list:
    """(product id, tenant id, version, count) of the active devices: one index-only scan
    of `device_active_versions`, read for both the versions chart and the cohort sizes."""
    devices = scope_for_user(Device.objects.all(), user).filter(status=Device.Status.ACTIVE)
    return list(
        devices.values_list("product_id", "tenant_id", "app_version").annotate(n=Count("*"))
    )


def _platforms(user) -> dict:
    """Per product, (platform, active devices), most first: one aggregate."""
    devices = scope_for_user(Device.objects.all(), user).filter(status=Device.Status.ACTIVE)
    found: dict = defaultdict(list)
    for product_id, platform, n in (
        devices.values_list("product_id", "platform").annotate(n=Count("*")).order_by("-n")
    ):
        found[product_id].append((platform, n))
    return found


def _panels(user, now, counts) -> dict:
    products = {p.pk: p for p in Product.objects.all()}
    latest = _latest_versions(user)
    by_version = defaultdict(int)
    for product_id, _tenant, version, n in counts:
        by_version[(product_id, version)] += n
    panels: dict = {}
    for (product_id, version), n in by_version.items():
        panel = panels.setdefault(product_id, ProductPanel(products[product_id]))
        panel.versions.append((version, n))
        target = latest.get(product_id)
        if target and _key(version) >= _key(target):
            panel.up_to_date += n
    for product_id, panel in panels.items():
        panel.latest = latest.get(product_id)
        panel.versions.sort(key=lambda row: _key(row[0]), reverse=True)
    since = _first_day(now).date()
    days = (
        scope_for_user(UpdateDay.objects.all(), user)
        .filter(day__gte=since)
        .values_list("product_id", "day")
        .annotate(completed=Sum("completed"), failed=Sum("failed"))
    )
    for product_id, day, completed, failed in days:
        panel = panels.setdefault(product_id, ProductPanel(products[product_id]))
        index = (day - since).days
        if 0 <= index < DAYS:
            panel.successes[index] += completed
            panel.failures[index] += failed
    return panels


def _rollouts(user, device_counts, since) -> list[RolloutPanel]:
    active = list(
        scope_for_user(Rollout.objects.all(), user)
        .filter(status__in=Rollout.ACTIVE)
        .select_related("release__product")
        .order_by("-created_at")[:20]
    )
    if not active:
        return []
    sessions: dict = defaultdict(lambda: defaultdict(int))
    daily: dict = defaultdict(lambda: [[0, 0] for _ in range(DAYS)])
    rows = (  # one query: totals per status, and per day for the failure rate over time
        scope_for_user(UpdateSession.objects.all(), user)
        .filter(release__in=[r.release_id for r in active])
        .annotate(day=TruncDate("updated_at"))
        .values_list("release_id", "status", "day")
        .annotate(n=Count("*"))
    )
    for release_id, status, day, n in rows:
        sessions[release_id][status] += n
        index = (day - since).days
        if status in FINISHED and 0 <= index < DAYS:
            daily[release_id][index][0] += n
            daily[release_id][index][1] += n if status in FAILURES else 0
    # The audience of each rollout: the active devices of its product, of its tenants.
    counts = defaultdict(int)
    for product_id, tenant_id, _version, n in device_counts:
        counts[(product_id, str(tenant_id))] += n
    panels = []
    for rollout in active:
        release = rollout.release
        scope = {str(release.tenant_id)} if release.tenant_id else None
        if rollout.target_tenant_ids:
            scope = (
                set(rollout.target_tenant_ids) & scope if scope else set(rollout.target_tenant_ids)
            )
        audience = sum(
            n
            for (p, t), n in counts.items()
            if p == release.product_id and (scope is None or t in scope)
        )
        if rollout.target_device_ids:
            audience = len(rollout.target_device_ids) + (
                audience if rollout.target_tenant_ids else 0
            )
        per_day = [(done, failed) for done, failed in daily[release.pk]]
        panels.append(RolloutPanel(rollout, audience, dict(sessions[release.pk]), per_day))
    return panels


def dashboard_data(user, *, now=None) -> dict:
    now = now or timezone.now()
    sessions = scope_for_user(UpdateSession.objects.all(), user)
    devices = scope_for_user(Device.objects.all(), user).filter(status=Device.Status.ACTIVE)
    silent = devices.filter(last_seen_at__lt=now - timedelta(days=1))
    licenses = scope_for_user(License.objects.all(), user).filter(
        status=License.Status.ACTIVE, expires_at__gte=now, expires_at__lt=now + timedelta(days=30)
    )
    since = _first_day(now).date()
    counts = _active_devices(user)
    panels = _panels(user, now, counts)
    for product_id, platforms in _platforms(user).items():
        if product_id in panels:
            panels[product_id].platforms = platforms
    return {
        "products": sorted(panels.values(), key=lambda p: p.product.name),
        "since": since,
        "expiring_until": now + timedelta(days=30),
        "silent_before": now - timedelta(days=1),
        "now": now,
        "rollouts": _rollouts(user, counts, since),
        "days": [(since + timedelta(days=i)).strftime("%m-%d") for i in range(DAYS)],
        "errors": list(
            sessions.filter(status=S.FAILED)
            .select_related("device", "release__product")
            .order_by("-updated_at")[:10]
        ),
        "silent_count": silent.count(),
        "silent": list(silent.select_related("product").order_by("last_seen_at")[:10]),
        "expiring_count": licenses.count(),
        "expiring": list(licenses.select_related("tenant", "product").order_by("expires_at")[:10]),
    }
