"""The admin's landing page: the fleet dashboard, tenant-scoped, with a fixed number of
aggregate queries whatever the fleet."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, ProductFactory, TenantFactory, UserFactory
from releases.dashboard.selectors import dashboard_data
from releases.models import UpdateDay, UpdateSession
from releases.services import rollouts
from releases.services.outcomes import outcome_count
from releases.services.sessions import session_id
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db


def _fleet(product, tenant, n, version="1.0.0"):
    license = LicenseFactory(tenant=tenant, policy__product=product, expires_at=None)
    return [
        DeviceFactory(license=license, product=product, tenant=tenant, app_version=version)
        for _ in range(n)
    ]


def _session(device, release, status, error="", days_ago=0):
    when = timezone.now() - timedelta(days=days_ago)
    outcome_count(device=device, status=status, at=when)  # as the status report does
    return UpdateSession.objects.create(
        id=session_id(device.pk, release.pk),
        device=device,
        release=release,
        to_version=release.version,
        status=status,
        error=error,
        updated_at=when,
    )


@pytest.fixture
def world():
    product = ProductFactory(name="ITStock CRM")
    ours, theirs = TenantFactory(name="Acme"), TenantFactory(name="Globex")
    release = published_release(product=product, version="1.1.0")
    old = _fleet(product, ours, 6)
    new = _fleet(product, ours, 2, version="1.1.0")
    foreign = _fleet(product, theirs, 4)
    rollout = rollouts.rollout_start(release=release, stages=[{"percent": 50, "holdMinutes": 60}])
    _session(new[0], release, "COMPLETED")
    _session(new[1], release, "COMPLETED", days_ago=3)
    _session(old[0], release, "FAILED", error="Checksum mismatch")
    _session(foreign[0], release, "FAILED", error="Disk full")
    stale = old[1]
    stale.last_seen_at = timezone.now() - timedelta(days=3)
    stale.save()
    LicenseFactory(tenant=ours, expires_at=timezone.now() + timedelta(days=10))
    LicenseFactory(tenant=theirs, expires_at=timezone.now() + timedelta(days=10))
    return {"ours": ours, "theirs": theirs, "release": release, "rollout": rollout}


def test_platform_staff_see_the_whole_fleet(world):
    data = dashboard_data(UserFactory(is_superuser=True))
    (panel,) = data["products"]
    assert panel.devices == 12 and panel.up_to_date == 2
    assert panel.versions == [("1.1.0", 2), ("1.0.0", 10)]
    assert sum(panel.successes) == 2 and sum(panel.failures) == 2
    assert panel.successes[-1] == 1 and panel.successes[-4] == 1
    (rollout,) = data["rollouts"]
    assert rollout.audience == 12 and rollout.cohort == 6
    assert rollout.sessions == {"COMPLETED": 2, "FAILED": 2} and rollout.failure_rate == 50.0
    # Over time: today 1 completed and 2 failed; three days ago 1 completed; no day else.
    rates = rollout.daily_failure_rates
    assert rates[-1] == pytest.approx(200 / 3) and rates[-4] == 0.0
    assert [r for i, r in enumerate(rates) if i not in (len(rates) - 1, len(rates) - 4)] == [
        None
    ] * (len(rates) - 2)
    assert [s.error for s in data["errors"]] and data["silent_count"] == 1
    assert data["expiring_count"] == 2


def test_tenant_staff_see_only_their_tenant(world):
    staff = UserFactory(tenant=world["ours"], is_staff=True)
    data = dashboard_data(staff)
    (panel,) = data["products"]
    assert panel.devices == 8 and panel.up_to_date == 2
    assert {s.error for s in data["errors"]} == {"Checksum mismatch"}
    assert data["expiring_count"] == 1
    assert data["rollouts"][0].sessions == {"COMPLETED": 2, "FAILED": 1}
    assert data["rollouts"][0].daily_failure_rates[-1] == 50.0  # not the other tenant's


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboard_data(user)
    return len(captured)


def test_queries_do_not_grow_with_the_fleet(world):
    admin = UserFactory(is_superuser=True)
    before = _queries(admin)
    assert before <= 12  # 11, and the devices per platform
    product = ProductFactory(name="Second")
    release = published_release(product=product, version="2.0.0")
    devices = _fleet(product, world["theirs"], 20, version="1.5.0")
    rollouts.rollout_start(release=release, stages=[{"percent": 10}, {"percent": 20}])
    for device in devices[:5]:
        _session(device, release, "FAILED", error="x")
    assert _queries(admin) == before


def test_landing_page_renders_the_dashboard_with_charts(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get("/admin/").content.decode()
    assert 'id="relais-dashboard"' in page and "ITStock CRM 1.1.0" in page
    assert page.count("<svg") >= 4 and "pygal-tooltips" not in page
    assert 'class="chart failures-chart"' in page and "Failure rate per day" in page
    assert "https://" not in page.split('id="relais-dashboard"')[1].split("</svg>")[0]
    french = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Déploiements en cours" in french


def test_status_reports_count_the_days_outcomes(api_client):
    product = ProductFactory()
    device = _fleet(product, TenantFactory(), 1)[0]
    release = published_release(product=product, version="1.1.0")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    sid = str(session_id(device.pk, release.pk))
    for status in ("DOWNLOADING", "FAILED", "FAILED", "DOWNLOADING", "COMPLETED", "COMPLETED"):
        response = api_client.post(
            "/api/v1/updates/status", {"sessionId": sid, "status": status}, format="json"
        )
        assert response.status_code == 200, response.json()
    day = UpdateDay.objects.get()
    assert (day.tenant_id, day.product_id, day.day) == (
        device.tenant_id,
        product.pk,
        timezone.localdate(),
    )
    assert (day.completed, day.failed) == (1, 1)


def test_every_figure_links_to_the_list_behind_it(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get("/admin/").content.decode()
    for link in (
        "/admin/devices/device/?product__id__exact=",  # devices per product, version, platform
        "platform__exact=",
        "app_version=",
        "/admin/releases/updatesession/?status__exact=FAILED",
        "/admin/releases/rollout/?status__exact=running",
        "/admin/licensing/license/?status__exact=active&amp;expires_at__gte=",
        "/admin/telemetry/alert/?status__exact=open&amp;severity__exact=critical",
        "last_seen_at__gte=",  # online
    ):
        assert link in page, link
    assert 'class="chart platforms-chart"><svg' in page
    # The links lead to lists that answer (the filters exist on those lists).
    import re

    for href in set(re.findall(r'href="(/admin/[a-z]+/[a-z]+/\?[^"]+)"', page)):
        url = href.replace("&amp;", "&")
        response = client.get(url)
        assert response.status_code == 200, url
        assert "?e=1" not in response.get("Location", ""), url
