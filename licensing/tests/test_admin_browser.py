"""The license admin, end to end in a real browser: what platform and tenant staff see."""

import re

import pytest
import requests

from licensing.models import License
from licensing.tests import browser as browser_fixtures
from licensing.tests.factories import LicenseFactory, PolicyFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The shared fixtures, bound here so pytest finds them (an import would be "unused").
browser = browser_fixtures.browser
page = browser_fixtures.page

PASSWORD = "pw-for-tests-1"  # UserFactory's
KEY_RE = re.compile(r"\b[0-9A-Z]{8}(?:-[0-9A-Z]{8}){3}\b")
LICENSES = "/admin/licensing/license/"
SCREENSHOT = "/tmp/relais-admin-license.png"


def log_in(page, user):
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#relais-dashboard").wait_for()  # the landing page


def body_text(page) -> str:
    return page.locator("body").inner_text()


def validate(live_server, key) -> dict:
    with requests.Session() as session:
        session.trust_env = False  # no proxy between us and the live server
        response = session.post(
            f"{live_server.url}/api/v1/licenses/validate", json={"key": key}, timeout=10
        )
    assert response.status_code == 200, response.text
    return response.json()


def result_row(page, text):
    return page.locator("#result_list tbody tr").filter(has_text=text)


def test_platform_admin_issues_a_license_sees_its_key_once_then_suspends_it(page, live_server):
    tenant = TenantFactory(name="Acme Clinics")
    TenantFactory(name="Other Tenant")
    policy = PolicyFactory(name="Yearly")
    admin = UserFactory(is_superuser=True)
    log_in(page, admin)

    # Licenses → Add, from the index as a person would.
    browser_fixtures.sidebar_link(page, "Licenses").click()
    page.get_by_title("Add license").click()
    page.get_by_label("Tenant").select_option(label=tenant.name)
    page.get_by_label("Policy").select_option(label=str(policy))
    page.get_by_label("Name").fill("Front desk")
    page.get_by_role("button", name="Save", exact=True).click()

    # The key is on a one-time page (never in a message: those sit in the session or a
    # cookie), read from a short-lived server-side store that the display empties.
    shown = page.locator("code.relais-secret")
    shown.wait_for()
    assert re.match(r".*/admin/secret/[^/]+/$", page.url), page.url
    secret_url = page.url
    assert "Shown once" in body_text(page)
    browser_fixtures.docs_screenshot(page, "license-key-shown-once")
    keys = KEY_RE.findall(body_text(page))
    assert len(keys) == 1, f"the key must be shown exactly once, saw {keys}"
    key = keys[0]
    assert key == shown.inner_text()
    page.screenshot(path=SCREENSHOT, full_page=True)

    license = License.objects.get(tenant=tenant)
    assert license.name == "Front desk"
    assert license.policy == policy
    assert key.startswith(license.key_prefix)
    page.reload()  # a second look finds nothing
    assert "no longer available" in body_text(page)
    assert key not in page.content()
    page.goto(secret_url)
    assert not KEY_RE.search(body_text(page))
    page.goto(LICENSES)
    page.locator("#result_list").wait_for()
    assert result_row(page, license.key_prefix).count() == 1

    # The change page shows only the masked key, and so does a reload.
    page.get_by_role("link", name=license.key_prefix, exact=True).click()
    page.locator("#license_form").wait_for()
    for _ in range(2):
        text = body_text(page)
        assert f"{license.key_prefix}-********-********-********" in text
        assert key not in page.content()
        assert not KEY_RE.search(text)
        page.reload()
    # Nor does the list, once the message has been read.
    page.goto(LICENSES)
    assert key not in page.content()

    result = validate(live_server, key)
    assert result["valid"] is True, result
    assert result["code"] == "VALID"

    # Suspend it with the list's action.
    page.locator(f'input[name="_selected_action"][value="{license.pk}"]').check()
    page.locator('select[name="action"]').select_option(label="Suspend selected licenses")
    page.get_by_role("button", name="Run").click()
    page.locator("ul.messagelist li.success", has_text="1 license(s) suspended.").wait_for()
    assert result_row(page, license.key_prefix).locator("td.field-status").inner_text() == (
        "Suspended"
    )

    result = validate(live_server, key)
    assert result["valid"] is False, result
    assert result["code"] == "SUSPENDED"


def test_tenant_staff_see_only_their_tenants_licenses(page):
    tenant_a = TenantFactory(name="Alpha Labs")
    tenant_b = TenantFactory(name="Bravo Works")
    ours = LicenseFactory(tenant=tenant_a, name="Alpha seat")
    theirs = LicenseFactory(tenant=tenant_b, name="Bravo seat")
    log_in(page, UserFactory(tenant=tenant_a))

    browser_fixtures.sidebar_link(page, "Licenses").click()
    page.locator("#result_list").wait_for()
    assert result_row(page, ours.key_prefix).count() == 1
    text = body_text(page)
    assert ours.key_prefix in text
    assert theirs.key_prefix not in text
    assert tenant_b.name not in text  # not even as a filter choice
    assert page.get_by_title("Add license").count() == 0  # view only

    # Tenant B's license by its URL: the admin says it does not exist.
    page.goto(f"{LICENSES}{theirs.pk}/change/")
    page.locator("ul.messagelist li.warning", has_text="doesn’t exist").wait_for()
    assert page.locator("#license_form").count() == 0
    text = body_text(page)
    assert theirs.key_prefix not in text
    assert tenant_b.name not in text
    assert "Bravo seat" not in text


def test_wrong_passwords_lock_the_login_with_a_message(page, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(is_superuser=True)
    page.goto("/admin/")
    for password in ("nope-1", "nope-2", "nope-3", PASSWORD):
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        if page.locator("#login-locked-out").count():
            break
    locked = page.locator("#login-locked-out")
    locked.wait_for()
    assert "Too many failed login attempts" in locked.inner_text()
    # The right password, from a fresh login page, is refused too.
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#login-locked-out").wait_for()
    page.goto("/admin/")
    assert page.locator("#relais-dashboard").count() == 0
