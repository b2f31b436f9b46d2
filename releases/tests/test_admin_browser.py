"""The release admin in a real browser: upload an artifact on the release page, publish it,
and a device is offered exactly that file."""

import hashlib

import pytest
import requests

from devices.tests.factories import DeviceFactory
from licensing.tests import browser as browser_fixtures
from licensing.tests.factories import ProductFactory, UserFactory
from licensing.tests.test_admin_browser import log_in
from releases.models import Release

pytestmark = pytest.mark.django_db(transaction=True)

browser = browser_fixtures.browser
page = browser_fixtures.page


def test_upload_on_the_release_page_then_publish(page, live_server, tmp_path, local_storage):
    product = ProductFactory(name="ITStock CRM")
    device = DeviceFactory(license__policy__product=product, app_version="1.0.0")
    installer = tmp_path / "ITStock-CRM-1.1.0.exe"
    installer.write_bytes(b"MZ" + bytes(range(256)) * 400)
    log_in(page, UserFactory(is_superuser=True))

    page.goto("/admin/releases/release/add/")
    page.get_by_label("Product").select_option(label="ITStock CRM")
    page.get_by_label("Version").fill("1.1")
    page.get_by_label("Notes").fill("Nouvelles fonctionnalités")
    page.locator("input[name='artifacts-0-platform']").fill("windows-x86_64")
    page.locator("input[name='artifacts-0-file']").set_input_files(str(installer))
    browser_fixtures.docs_screenshot(page, "release-add")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("ul.messagelist li.success").wait_for()

    release = Release.objects.get(product=product)
    assert release.version == "1.1.0" and release.status == "draft"
    page.locator(f'input[name="_selected_action"][value="{release.pk}"]').check()
    page.locator('select[name="action"]').select_option(label="Publish selected releases")
    page.get_by_role("button", name="Run").click()
    page.locator("ul.messagelist li.success", has_text="1 release(s) published.").wait_for()
    row = page.locator("#result_list tbody tr").filter(has_text="1.1.0")
    assert row.locator("td.field-status").inner_text() == "Published"
    browser_fixtures.docs_screenshot(page, "releases")

    offer = requests.get(
        f"{live_server.url}/api/v1/updates/check",
        params={"version": "1.0.0"},
        headers={"Authorization": f"Bearer {device.token}"},
        timeout=10,
    ).json()
    assert offer["version"] == "1.1.0"
    assert offer["checksum"] == hashlib.sha256(installer.read_bytes()).hexdigest()
    assert offer["size"] == installer.stat().st_size
