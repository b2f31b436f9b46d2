"""/metrics: token-protected, parsed with prometheus-client's own parser; the counters move
with the requests, checks and reports that happen, the database figures follow the rows."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.models import UpdateSession
from releases.services.rollouts import rollout_start
from releases.services.sessions import session_id
from releases.tests.factories import published_release
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_disable
from webhooks.tests.factories import _delivery_of, _endpoint_of

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests"  # noqa: S105


@pytest.fixture(autouse=True)
def _token(settings):
    settings.RELAIS_METRICS_TOKEN = TOKEN


def scrape(client) -> dict:
    """{(sample name, frozenset of labels): value} of one authenticated scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content.decode())


def samples(text: str) -> dict:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def product():
    product = ProductFactory(slug="crm")
    published_release(product=product, version="1.1.0")
    return product


@pytest.fixture
def device(product):
    return DeviceFactory(license__policy__product=product, app_version="1.0.0")


def _check(client, device, version):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    response = client.get("/api/v1/updates/check", {"version": version})
    client.credentials()
    return response


def test_no_token_configured_no_route(client, settings):
    settings.RELAIS_METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("header", ["", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_wrong_or_missing_token_is_refused(client, header):
    response = client.get("/metrics", **({"HTTP_AUTHORIZATION": header} if header else {}))
    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_FAILED"
    assert response["WWW-Authenticate"] == "Bearer"


def test_update_checks_counted_per_product_slug_and_outcome(client, api_client, device):
    before = scrape(client)
    assert _check(api_client, device, "1.0.0").json()["updateAvailable"] is True
    assert _check(api_client, device, "1.1.0").json() == {"updateAvailable": False}
    assert _check(api_client, device, "1.1.0").json() == {"updateAvailable": False}
    assert _check(api_client, device, "not-a-version").status_code == 400
    after = scrape(client)
    moved = {
        outcome: value(after, "relais_update_checks_total", product="crm", outcome=outcome)
        - value(before, "relais_update_checks_total", product="crm", outcome=outcome)
        for outcome in ("offered", "not_offered", "refused")
    }
    assert moved == {"offered": 1, "not_offered": 2, "refused": 1}


def test_an_offer_its_window_holds_is_counted_held_not_offered(client, api_client, device):
    from datetime import UTC, datetime, timedelta

    from licensing.tests.factories import UserFactory

    ahead = datetime.now(UTC) + timedelta(hours=2)  # a window that is not now
    window = {
        "start": ahead.strftime("%H:%M"),
        "end": (ahead + timedelta(hours=1)).strftime("%H:%M"),
    }
    api_client.force_authenticate(UserFactory(is_superuser=True))
    url = f"/api/v1/manage/maintenance-windows?tenant={device.tenant_id}"
    assert api_client.put(url, {"windows": [window]}, format="json").status_code == 200
    api_client.force_authenticate(None)
    before = scrape(client)
    assert _check(api_client, device, "1.0.0").json() == {"updateAvailable": False}
    after = scrape(client)
    moved = {
        outcome: value(after, "relais_update_checks_total", product="crm", outcome=outcome)
        - value(before, "relais_update_checks_total", product="crm", outcome=outcome)
        for outcome in ("offered", "not_offered", "held")
    }
    assert moved == {"offered": 0, "not_offered": 0, "held": 1}


def test_requests_counted_and_timed_per_route_name_never_per_path(client, api_client, device):
    before = scrape(client)
    _check(api_client, device, "1.0.0")
    _check(api_client, device, "not-a-version")
    api_client.get("/api/v1/no-such-route")
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"route": "update-check", "method": "GET", "status": "200"}
    assert moved("relais_http_requests_total", **ok) == 1
    assert moved("relais_http_requests_total", **{**ok, "status": "400"}) == 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert moved("relais_http_requests_total", **unmatched) == 1
    assert moved("relais_http_request_duration_seconds_count", route="update-check") == 2
    assert moved("relais_http_request_duration_seconds_sum", route="update-check") > 0
    # Bounded labels: no path, no device anywhere.
    label_values = {v for _, labels in after for _, v in labels}
    assert not any("/" in v for v in label_values)
    assert str(device.pk) not in label_values
    assert device.hardware_id not in label_values


def test_telemetry_rows_counted(client, api_client, device):
    before = value(scrape(client), "relais_telemetry_rows_ingested_total")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    batch = {"reports": [{"metrics": {"cpu": n}} for n in range(3)]}
    assert api_client.post("/api/v1/telemetry", batch, format="json").status_code == 201
    assert value(scrape(client), "relais_telemetry_rows_ingested_total") - before == 3


def test_webhook_backlog_read_at_scrape_time(client, tenant):
    found = scrape(client)
    assert value(found, "relais_webhook_deliveries", status="pending") == 0
    assert value(found, "relais_webhook_endpoints_disabled") == 0
    first, second, third = (_delivery_of(tenant) for _ in range(3))
    endpoint_disable(webhookendpoint=_endpoint_of(tenant))
    S = WebhookDelivery.Status
    WebhookDelivery.objects.update(status=S.SUCCEEDED)
    WebhookDelivery.objects.filter(pk=first.pk).update(status=S.FAILED)
    WebhookDelivery.objects.filter(pk__in=[second.pk, third.pk]).update(status=S.PENDING)
    found = scrape(client)
    assert value(found, "relais_webhook_deliveries", status="pending") == 2
    assert value(found, "relais_webhook_deliveries", status="failed") == 1
    assert value(found, "relais_webhook_endpoints_disabled") == 1


def test_running_rollouts_percent_and_failure_rate(client, product):
    release = published_release(product=product, version="1.2.0")
    rollout = rollout_start(release=release, stages=[{"percent": 25}, {"percent": 100}])
    statuses = ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED"]
    for status in statuses:
        device = DeviceFactory(license__policy__product=product)
        UpdateSession.objects.create(
            id=session_id(device.pk, release.pk),
            device=device,
            release=release,
            to_version=release.version,
            status=status,
        )
    labels = {"rollout": str(rollout.pk), "product": "crm", "version": "1.2.0"}
    found = scrape(client)
    assert value(found, "relais_rollout_percent", **labels) == 25
    assert value(found, "relais_rollout_failure_rate_percent", **labels) == 25.0
    assert value(found, "relais_rollout_sessions_finished", **labels) == 4


def test_counters_of_several_processes_are_summed(tmp_path):
    """Multiprocess mode: each process counts in its own files, a scrape sums them."""
    from ops.metrics import metrics_exposition

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    code = (
        "from core.metrics import HTTP_REQUESTS, TELEMETRY_ROWS\n"
        "HTTP_REQUESTS.labels('update-check', 'GET', '200').inc()\n"
        "TELEMETRY_ROWS.inc(5)\n"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True, timeout=60)
    found = samples(metrics_exposition(multiprocess_dir=str(tmp_path)).decode())
    ok = {"route": "update-check", "method": "GET", "status": "200"}
    assert value(found, "relais_http_requests_total", **ok) == 2
    assert value(found, "relais_telemetry_rows_ingested_total") == 10


@pytest.mark.django_db(transaction=True)
def test_node_hot_routes_are_measured_with_their_short_middleware_list(client, device):
    """Through the WSGI application: the node routes' own middleware list counts them too."""
    from core.tests.test_node_handler import _wsgi

    ok = {"route": "update-check", "method": "GET", "status": "200"}
    before = value(scrape(client), "relais_http_requests_total", **ok)
    status, _, _ = _wsgi("/api/v1/updates/check", "version=1.0.0", token=device.token)
    assert status == 200
    assert value(scrape(client), "relais_http_requests_total", **ok) - before == 1
