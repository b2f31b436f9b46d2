"""In a real browser: force a release progressively from its page, then see the rollout and
its chart on the dashboard (the admin's landing page)."""

import pytest

from devices.tests.factories import DeviceFactory
from licensing.tests import browser as browser_fixtures
from licensing.tests.factories import LicenseFactory, ProductFactory, UserFactory
from licensing.tests.test_admin_browser import log_in
from releases.models import Rollout
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db(transaction=True)

browser = browser_fixtures.browser
page = browser_fixtures.page
SCREENSHOT = "/tmp/relais-dashboard.png"


def test_force_progressively_then_watch_it_on_the_dashboard(page):
    product = ProductFactory(name="ITStock CRM")
    license = LicenseFactory(policy__product=product, max_devices=None)
    for _ in range(8):
        DeviceFactory(license=license, app_version="1.0.0")
    release = published_release(product=product, version="1.1.0")
    log_in(page, UserFactory(is_superuser=True))

    page.goto(f"/admin/releases/release/{release.pk}/change/")
    page.get_by_role("link", name="Force the update").click()
    page.get_by_label("All devices").check()
    page.get_by_label("Progressive").check()
    page.get_by_label("Stages (%)").fill("10,50,100")
    page.get_by_label("Hold per stage (minutes)").fill("60")
    browser_fixtures.docs_screenshot(page, "force-update")
    page.get_by_role("button", name="Force the update").click()

    page.locator("ul.messagelist li.success", has_text="Update to ITStock CRM 1.1.0").wait_for()
    rollout = Rollout.objects.get(release=release)
    assert rollout.forced and rollout.percent == 10 and rollout.status == "running"
    panel = page.locator(f'.rollout-panel[data-rollout="{rollout.pk}"]')
    assert "ITStock CRM 1.1.0" in panel.inner_text()
    assert panel.locator(".rollout-percent").inner_text() == "10 %"
    assert panel.locator(".sessions-chart svg").count() == 1
    versions = page.locator(".product-panel .versions-chart svg")
    assert versions.count() == 1 and "1.0.0" in versions.text_content()
    page.screenshot(path=SCREENSHOT, full_page=True)
    browser_fixtures.docs_screenshot(page, "dashboard")

    # Bad input on the same form: a clear message, nothing written.
    page.goto(f"/admin/releases/release/{release.pk}/force/")
    page.get_by_role("button", name="Force the update").click()
    page.locator(".errornote", has_text="ROLLOUT_ACTIVE").wait_for()
    assert Rollout.objects.count() == 1
