"""Browser fixtures for end-to-end tests: Debian's Chromium driven by Playwright.

In a test module, `from licensing.tests import browser as browser_fixtures`, then bind
`browser = browser_fixtures.browser` and `page = browser_fixtures.page` so pytest finds
them. One browser per module; `page` is a fresh context (cookies, storage) per test whose
base URL is pytest-django's `live_server`, so `page.goto("/admin/")`. Mark the tests
`django_db(transaction=True)`: the live server reads the database from its own thread.

The browser is the system one (`apt-get install chromium`): Playwright never downloads
its own. Without it the tests are skipped. The network may be closed, so everything
Chromium would fetch in the background is turned off.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Long enough for a slow CI machine, short enough that a wrong selector fails quickly.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        # Playwright's sync API keeps its event loop marked as running in this thread
        # between calls, so Django refuses ORM calls here (SynchronousOnlyOperation).
        # They are plain synchronous calls between browser steps: allow them for as long
        # as the loop lives, i.e. this fixture, which outlives every test's database
        # setup and teardown. The live server answers from its own thread, no loop there.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",  # LocaleMiddleware follows Accept-Language; assertions are English
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def sidebar_link(page, name: str):
    """A model's link in the admin's sidebar, by the model's name (the link's text also holds
    its icon's ligature, so a role query by exact name does not find it)."""
    return page.locator("#nav-sidebar-apps a").filter(has=page.get_by_text(name, exact=True))


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"


def docs_screenshot(page, name: str) -> None:
    """With RELAIS_DOCS_SCREENSHOTS=1, save what the page shows as docs/img/<name>.png: the
    documentation's backoffice pictures are taken by the browser tests, on the flows they
    test (`RELAIS_DOCS_SCREENSHOTS=1 .venv/bin/pytest -k browser`)."""
    if os.environ.get("RELAIS_DOCS_SCREENSHOTS"):
        DOCS_IMAGES.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS_IMAGES / f"{name}.png"), full_page=False)
