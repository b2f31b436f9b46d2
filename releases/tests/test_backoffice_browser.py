"""The backoffice in a real browser, as platform staff and as a French tenant's staff: the
dashboard, a rollout paused from its page, a device page, the language switch. The pictures
of docs/backoffice.md are taken here (RELAIS_DOCS_SCREENSHOTS=1)."""

import re

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests import browser as browser_fixtures
from licensing.tests.factories import LicenseFactory, ProductFactory, TenantFactory, UserFactory
from licensing.tests.test_admin_browser import log_in
from releases.models import Rollout, UpdateSession
from releases.services.rollouts import rollout_start
from releases.services.sessions import session_id
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db(transaction=True)

browser = browser_fixtures.browser
page = browser_fixtures.page


def _fleet():
    product = ProductFactory(name="ITStock CRM")
    acme = TenantFactory(name="Acme", language="en")
    martin = TenantFactory(name="Boulangerie Martin", language="fr")
    devices = {}
    for tenant, n in ((acme, 6), (martin, 4)):
        license = LicenseFactory(tenant=tenant, policy__product=product, max_devices=None)
        devices[tenant.name] = [
            DeviceFactory(
                license=license,
                app_version="1.0.0",
                hardware_id=f"{tenant.name[:4].upper()}-{i}",
                platform="windows-x86_64" if i % 2 else "linux-x86_64",
            )
            for i in range(n)
        ]
    release = published_release(product=product, version="1.1.0")
    rollout = rollout_start(release=release, stages=[{"percent": 50}, {"percent": 100}])
    for device in devices["Acme"][:2]:
        UpdateSession.objects.create(
            id=session_id(device.pk, release.pk),
            device=device,
            release=release,
            from_version="1.0.0",
            to_version="1.1.0",
            status="COMPLETED",
        )
    return acme, martin, devices, rollout


def test_platform_staff_walk_the_backoffice(page):
    _acme, _martin, devices, rollout = _fleet()
    log_in(page, UserFactory(is_superuser=True))

    # The dashboard: charts, and figures that lead to their lists.
    page.locator(".product-panel .platforms-chart svg").wait_for()
    assert page.locator("#dashboard-health .devices-chart svg").count() == 1
    browser_fixtures.docs_screenshot(page, "backoffice-dashboard")
    page.locator(".platforms-links a", has_text="linux-x86_64").click()
    page.locator("#result_list").wait_for()
    assert "platform__exact=linux-x86_64" in page.url
    assert page.locator("#result_list tbody tr").count() == 5

    # The rollout's page: its progress, and "Pause" confirmed in a dialog.
    page.goto("/admin/")
    page.locator(f'.rollout-panel[data-rollout="{rollout.pk}"] a').first.click()
    page.locator("#rollout-progress").wait_for()
    assert page.locator(".rollout-stage").count() == 2
    browser_fixtures.docs_screenshot(page, "rollout-page")
    page.get_by_role("link", name=re.compile(r"Pause$")).click()
    page.get_by_text("Pause this rollout?").wait_for()
    page.get_by_role("button", name="Submit").click()
    page.locator("ul.messagelist li.success", has_text="paused").wait_for()
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.PAUSED

    # A device page: license and seat, update history, telemetry, commands.
    browser_fixtures.sidebar_link(page, "Devices").click()
    page.get_by_role("link", name=str(devices["Acme"][0]), exact=True).click()
    page.locator("#device-updates .update-step").wait_for()
    for section in ("#device-license", "#device-telemetry", "#device-commands"):
        assert page.locator(section).count() == 1, section
    browser_fixtures.docs_screenshot(page, "device-page")

    # The language switch, in the user menu: the backoffice in French, and it stays.
    page.goto("/admin/")
    page.locator("#nav-sidebar [x-on\\:click='openUserLinks = !openUserLinks']").click()
    page.get_by_role("button", name=re.compile("français", re.IGNORECASE)).click()
    sidebar = page.locator("#nav-sidebar-apps")
    sidebar.get_by_text("Flotte", exact=True).wait_for()
    page.goto("/admin/releases/rollout/")  # remembered from page to page
    sidebar.get_by_text("Versions et déploiements", exact=True).wait_for()


def test_french_tenant_staff_see_their_fleet_in_french(page):
    acme, martin, devices, _rollout = _fleet()
    log_in_fr(page, UserFactory(tenant=martin))
    text = page.locator("body").inner_text()
    assert "Flotte" in text and "Tableau de bord" in text
    assert devices["Boulangerie Martin"][0].hardware_id not in text  # figures, not rows
    browser_fixtures.docs_screenshot(page, "dashboard-fr")
    browser_fixtures.sidebar_link(page, "Devices").click()
    page.locator("#result_list").wait_for()
    listed = page.locator("#result_list").inner_text()
    assert all(d.hardware_id in listed for d in devices["Boulangerie Martin"])
    assert not any(d.hardware_id in listed for d in devices["Acme"])
    assert acme.name not in page.content()


def log_in_fr(page, user):
    """The login page follows the browser (English here); the backoffice, the tenant."""
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.locator("#relais-dashboard").wait_for()
