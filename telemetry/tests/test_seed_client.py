"""The CyberSensei seed's own client, over HTTP against a live server: it validates its
license, then `send_telemetry` gets its 201 (the only status it counts as sent)."""

import pytest

from licensing.tests.factories import LicenseFactory
from telemetry.models import TelemetryReport
from telemetry.tests.seed_cybersensei import CyberSenseiClient

pytestmark = pytest.mark.django_db(transaction=True)


def test_send_telemetry_gets_its_201(live_server, capsys):
    license = LicenseFactory()
    client = CyberSenseiClient(backend_url=live_server.url, license_key=license.key)
    assert client.validate_license() is True
    assert client.tenant_id == str(license.tenant_id)
    metrics = client.collect_metrics()
    metrics["ai_latency"] = None  # the seed sends `aiLatency: null` when it has none
    assert client.send_telemetry(metrics) is True
    assert "✅ Télémétrie envoyée" in capsys.readouterr().out
    row = TelemetryReport.objects.get()
    assert row.tenant_id == license.tenant_id and row.version == "1.0.0"
    assert row.metrics["activeUsers"] == 42 and row.metrics["aiLatency"] is None
    assert row.metrics["additionalData"] == {"cpu": 45.2, "memory": 62.8}


def test_send_telemetry_of_a_suspended_license_fails_in_the_seeds_way(live_server, capsys):
    license = LicenseFactory()
    client = CyberSenseiClient(backend_url=live_server.url, license_key=license.key)
    assert client.validate_license()
    license.status = "suspended"
    license.save()
    assert client.send_telemetry(client.collect_metrics()) is False
    assert "❌ Erreur télémétrie: 400" in capsys.readouterr().out
    assert not TelemetryReport.objects.exists()
