"""Seed 004's public frontend in a real browser: a page served from another origin (a
static server on another port) reads a document with a publishable key — CORS, ETag — and
hears `document.updated` over Socket.IO when staff change the document, then reads it
again. Django and Socket.IO run under uvicorn (config.asgi), the page in Chromium."""

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest
import requests

from documents.tests.factories import make_key, make_origin
from licensing.services import api_token_create
from licensing.tests import browser as browser_fixtures
from licensing.tests.factories import UserFactory

browser = browser_fixtures.browser
pytestmark = pytest.mark.django_db(transaction=True)
SOCKET_IO_CLIENT = (
    Path(__file__).resolve().parents[2]
    / "tests/node/node_modules/socket.io-client/dist/socket.io.min.js"
)

# The seed's frontend, reduced to what it does: read with the key, listen, read again.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="socket.io.min.js"></script></head>
<body><h1 id="company">…</h1><p id="version"></p><p id="pushes">0</p><p id="status"></p>
<script>
const params = new URLSearchParams(location.search);
const backend = params.get("backend"), key = params.get("key");
let etag = null, pushes = 0;
async function load() {
  const headers = {Authorization: `Bearer ${key}`};
  if (etag) headers["If-None-Match"] = etag;
  const response = await fetch(`${backend}/api/settings`, {headers});
  document.getElementById("status").textContent = String(response.status);
  if (response.status === 304) return;
  etag = response.headers.get("ETag");
  const settings = await response.json();
  document.getElementById("company").textContent = settings.companyName;
  document.getElementById("version").textContent = etag;
}
load().catch((err) => {
  document.getElementById("status").textContent = "blocked";  // a CORS refusal
}).then(() => {
  const socket = io(backend, {auth: {publishableKey: key}, transports: ["websocket"]});
  socket.on("connect", () => { document.body.dataset.socket = "connected"; });
  socket.on("connect_error", (err) => { document.body.dataset.socket = "refused:" + err.message; });
  socket.on("document.updated", (event) => {
    pushes += 1;
    document.getElementById("pushes").textContent = `${pushes} ${event.name} v${event.version}`;
    if (event.name === "settings") load();
  });
});
</script></body></html>
"""


@pytest.fixture
def frontend(tmp_path):
    """A static server on another port: the seed's public frontend's origin."""
    if not SOCKET_IO_CLIENT.exists():
        pytest.skip("npm ci in tests/node first (socket.io-client)")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE)
    shutil.copy(SOCKET_IO_CLIENT, site / "socket.io.min.js")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _put_settings(backend, token, body):
    return requests.put(
        f"{backend}/api/settings",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )


def test_a_page_on_another_origin_reads_with_a_key_and_hears_staff_updates(
    asgi_server, frontend, browser, tenant
):
    make_origin(tenant, frontend)  # staff declared the frontend's origin
    _, key = make_key(tenant, documents=["settings"])
    staff = api_token_create(user=UserFactory(tenant=tenant)).token
    backend = asgi_server()
    assert _put_settings(backend, staff, {"companyName": "TRU Group"}).status_code == 201

    context = browser.new_context()
    context.set_default_timeout(browser_fixtures.TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{frontend}/index.html?backend={backend}&key={key}")
        page.wait_for_function("document.body.dataset.socket === 'connected'")
        assert page.text_content("#company") == "TRU Group"
        assert page.text_content("#version") == '"1"'  # the ETag, exposed to the page

        updated = _put_settings(backend, staff, {"companyName": "TRU Group SA"})
        assert updated.status_code == 200
        page.wait_for_function("document.getElementById('company').textContent === 'TRU Group SA'")
        assert page.text_content("#pushes") == "1 settings v2"
        assert page.text_content("#version") == '"2"'

        # A write that changes nothing pushes nothing; one marked notifyFrontend=false
        # changes the document without a push.
        assert _put_settings(backend, staff, {"companyName": "TRU Group SA"}).status_code == 200
        quiet = requests.put(
            f"{backend}/api/settings?notifyFrontend=false",
            data=json.dumps({"companyName": "TRU (quiet)"}),
            headers={"Authorization": f"Bearer {staff}", "Content-Type": "application/json"},
            timeout=10,
        )
        assert quiet.status_code == 200
        _put_settings(backend, staff, {"companyName": "TRU Group SAS"})
        page.wait_for_function("document.getElementById('company').textContent === 'TRU Group SAS'")
        assert page.text_content("#pushes") == "2 settings v4"
    finally:
        context.close()


def test_a_page_on_an_undeclared_origin_is_refused(asgi_server, frontend, browser, tenant):
    _, key = make_key(tenant, documents=["settings"])
    backend = asgi_server()
    context = browser.new_context()
    context.set_default_timeout(browser_fixtures.TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{frontend}/index.html?backend={backend}&key={key}")
        # The browser blocks the read (no CORS header) and the socket (not an accepted origin).
        page.wait_for_function("(document.body.dataset.socket || '').startsWith('refused')")
        assert page.text_content("#status") == "blocked"
        assert page.text_content("#company") == "…"
    finally:
        context.close()
