"""End to end, over the network: a CyberSensei node reports over HTTP (uvicorn) with its
`nodeId`, falls silent; the real worker's beat opens one offline alert and its digest task
emails the node's tenant over SMTP (in French, the tenant's language), never the other
tenant; the node reports again, the alert resolves and they are told that too."""

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from devices.models import Device
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import LicenseFactory, TenantFactory
from telemetry.models import Alert

from .factories import RecipientFactory
from .smtp import start_smtp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp():
    server = start_smtp()
    yield server
    server.shutdown()
    server.server_close()


def _report(base_url, license):
    body = {
        "tenantId": str(license.tenant_id),
        "uptime": 600,
        "activeUsers": 3,
        "exercisesCompletedToday": 7,
        "version": "1.2.0",
        "nodeId": "node-paris",
    }
    response = requests.post(f"{base_url}/telemetry", json=body, timeout=10)
    assert response.status_code == 201, response.text


def _wait(condition, process, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return
        time.sleep(0.3)
    assert process.poll() is None, f"worker died:\n{log.read_text()}"
    assert condition(), log.read_text()


def test_a_silent_node_alerts_once_its_tenant_is_emailed_and_told_when_it_is_back(
    asgi_server, start_worker, smtp, tmp_path
):
    ours = LicenseFactory(tenant=TenantFactory(name="Acme", language="fr"))
    theirs = TenantFactory(name="Globex")
    alice = RecipientFactory(tenant=ours.tenant, email="alice@acme.example")
    bob = RecipientFactory(tenant=theirs, email="bob@globex.example")
    # Globex's own node is fine: nothing to tell Bob.
    DeviceFactory(
        license=LicenseFactory(tenant=theirs), last_seen_at=timezone.now() + timedelta(hours=1)
    )
    shared = {"RELAIS_VAR_DIR": str(tmp_path), "RELAIS_SEEN_INTERVAL_SECONDS": "1"}
    base_url = asgi_server(**shared)
    _report(base_url, ours)
    node = Device.objects.get(hardware_id="node-paris")
    assert node.tenant_id == ours.tenant_id

    process, log = start_worker(
        **shared,
        EMAIL_URL=smtp.url,
        RELAIS_OFFLINE_AFTER_SECONDS="5",
        RELAIS_OFFLINE_SWEEP_SECONDS="1",
        RELAIS_NOTIFY_SWEEP_SECONDS="1",
        RELAIS_NOTIFY_DIGEST_SECONDS="1",
    )
    _wait(lambda: smtp.to(alice.email), process, log)
    [opened] = smtp.to(alice.email)
    assert opened["Subject"] == "[Relais] Acme : 1 alerte ouverte"
    text = opened.get_content()
    assert "node-paris : offline critique" in text and "Alertes ouvertes" in text
    alert = Alert.objects.get(device=node, metric="offline")
    assert alert.is_open

    _report(base_url, ours)  # back
    _wait(lambda: len(smtp.to(alice.email)) >= 2, process, log)
    process.terminate()
    resolved = smtp.to(alice.email)[1]
    assert resolved["Subject"] == "[Relais] Acme : 1 résolue"
    assert "Alertes résolues\r\n- node-paris : offline (online)" in resolved.get_content()
    alert.refresh_from_db()
    assert not alert.is_open and alert.resolution == "online"
    assert Alert.objects.filter(device=node, metric="offline").count() == 1
    assert smtp.to(bob.email) == []
    assert "digests_send_task" in log.read_text()
    # The link of the email, one-click as a mail client does it, over HTTP.
    path = (
        "/notifications/unsubscribe/" + resolved["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    )
    response = requests.post(
        f"{base_url}{path}", data={"List-Unsubscribe": "One-Click"}, timeout=10
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.unsubscribed_at is not None
