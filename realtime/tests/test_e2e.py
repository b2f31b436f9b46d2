"""Socket.IO against the real server (uvicorn on 127.0.0.1, the ASGI app of config/asgi.py)
with real clients: python-socketio's for the NEOPRO agent, the `socket.io-client` npm
package (Node) for the ITStock CRM."""

import hashlib
import json
import shutil
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from commands.models import DeviceCommand
from commands.services import command_create
from devices.tests.factories import DeviceFactory
from devices.tests.sites import PASSWORD, PROFILE, neopro_fleet, registered_site
from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory
from releases.cohorts import in_cohort
from releases.services.rollouts import rollout_start
from releases.tests.factories import published_release
from telemetry.models import TelemetryReport

from .realtime import Agent, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
NODE_DIR = Path(__file__).resolve().parents[2] / "tests" / "node"
METRICS = {"cpu": 45.2, "memory": 62.1, "temperature": 52.3, "disk": 78.5, "uptime": 3600000}


def _beat(site_id) -> dict:
    """The agent's heartbeat, as the seed sends it every 30 s."""
    return {"siteId": site_id, "timestamp": int(time.time() * 1000), "metrics": METRICS}


@pytest.fixture
def shared_files(settings, tmp_path):
    """Artifacts stored by this process in files the server reads (whatever the environment's
    storage): the server's environment, to pass to asgi_server."""
    var = tmp_path / "shared-var"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(var / "test-media")},  # the server's MEDIA_ROOT
        },
    }
    return {"RELAIS_VAR_DIR": str(var), "AWS_STORAGE_BUCKET_NAME": ""}


@pytest.fixture
def agents():
    opened = []

    def open_(url, **connect):
        agent = Agent(url, **connect)
        opened.append(agent)
        return agent

    yield open_
    for agent in opened:
        agent.close()


def _staff_token(fleet) -> dict:
    token = api_token_create(user=fleet.staff).token
    return {"Authorization": f"Bearer {token}"}


def test_neopro_register_authenticate_heartbeat_command_result(asgi_server, agents):
    fleet = neopro_fleet()
    url = asgi_server()
    registered = requests.post(
        f"{url}/api/v1/sites/register",
        json={"email": fleet.staff.email, "password": PASSWORD, **PROFILE},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    site_id, api_key = registered.json()["SITE_ID"], registered.json()["SITE_API_KEY"]

    agent = agents(url)
    answer = agent.authenticate(site_id, api_key)
    assert answer["siteId"] == site_id and answer["siteName"] == "Site Rennes"

    assert agent.client.call("heartbeat", _beat(site_id), timeout=10) == {"ok": True}
    report = TelemetryReport.objects.get(device_id=site_id)  # the telemetry ingest's row
    assert report.kind == "heartbeat" and report.metrics["temperature"] == 52.3

    body = {"device": site_id, "type": "restart_service", "data": {"service": "neopro-app"}}
    created = requests.post(
        f"{url}/api/v1/manage/device-commands/", json=body, headers=_staff_token(fleet), timeout=10
    )
    assert created.status_code == 201, created.text
    command = agent.next("command")
    assert command == {
        "id": created.json()["id"],
        "type": "restart_service",
        "data": {"service": "neopro-app"},
    }
    assert DeviceCommand.objects.get().status == "delivered"

    agent.client.emit(
        "command_result",
        {"commandId": command["id"], "status": "success", "result": {"restarted": True}},
    )
    done = wait_for(lambda: DeviceCommand.objects.filter(status="succeeded").first())
    assert done.result == {"restarted": True}

    health = requests.get(f"{url}/api/v1/health", timeout=10).json()["socketio"]
    assert health["serving"] and health["connections"] == 1 and health["authenticatedSites"] == 1
    assert health["counters"]["events.heartbeat"] == 1
    assert health["counters"]["commands.pushed"] == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "Identifiants manquants"),
        ({"siteId": "", "apiKey": ""}, "Identifiants manquants"),
        ("not an object", "Identifiants manquants"),
        ({"siteId": "0b7e4a52-57a7-4c4e-9a8b-000000000000", "apiKey": "a" * 64}, "SITE"),
        ({"siteId": "pas-un-uuid", "apiKey": "a" * 64}, "Site non trouvé: pas-un-uuid"),
        ({"siteId": "SITE", "apiKey": "b" * 64}, "Clé API invalide"),
        ({"siteId": "SITE", "apiKey": ["not", "a", "string"]}, "Clé API invalide"),
    ],
)
def test_authentication_refusals_say_the_seeds_words_then_disconnect(
    asgi_server, agents, payload, message
):
    site, _key = registered_site(neopro_fleet())
    if isinstance(payload, dict):
        payload = {k: (str(site.pk) if v == "SITE" else v) for k, v in payload.items()}
    if message == "SITE":
        message = f"Site non trouvé: {payload['siteId']}"
    agent = agents(asgi_server())
    agent.client.emit("authenticate", payload)
    refusal = agent.next("auth_error")
    assert refusal["message"] == message
    agent.next("disconnect")


def test_a_command_queued_while_offline_arrives_on_reconnect(asgi_server, agents):
    site, key = registered_site(neopro_fleet())
    url = asgi_server()
    first = agents(url)
    first.authenticate(str(site.pk), key)
    first.close()
    wait_for(
        lambda: (
            requests.get(f"{url}/api/v1/health", timeout=5).json()["socketio"]["connections"] == 0
        )
    )
    queued = command_create(device=site, type="reboot")  # this process: nobody to push it
    again = agents(url)
    again.authenticate(str(site.pk), key)
    assert again.next("command") == {"id": str(queued.pk), "type": "reboot", "data": {}}
    queued.refresh_from_db()
    assert queued.status == "delivered"


def test_bad_events_get_an_error_event_and_change_nothing(asgi_server, agents):
    site, key = registered_site(neopro_fleet())
    agent = agents(asgi_server())
    agent.client.emit("heartbeat", _beat(str(site.pk)))
    assert agent.next("error")["code"] == "NOT_AUTHENTICATED"
    agent.authenticate(str(site.pk), key)
    agent.client.emit("heartbeat", ["not", "an", "object"])
    assert agent.next("error") == {
        "code": "INVALID_PAYLOAD",
        "message": "Malformed `heartbeat` payload.",
        "event": "heartbeat",
    }
    agent.client.emit("heartbeat", {"siteId": str(uuid.uuid4()), "metrics": METRICS})
    assert agent.next("error")["code"] == "SITE_MISMATCH"
    agent.client.emit("format_disk", {"now": True})
    assert agent.next("error")["code"] == "UNKNOWN_EVENT"

    command = command_create(device=site, type="reboot")
    agent.client.emit("command_result", {"commandId": "pas-un-uuid", "status": "success"})
    assert agent.next("error")["code"] == "COMMAND_NOT_FOUND"
    agent.client.emit("command_result", {"commandId": str(command.pk), "status": "peut-être"})
    assert agent.next("error")["code"] == "VALIDATION_ERROR"
    huge = {"commandId": str(command.pk), "status": "success", "result": "x" * 300_000}
    agent.client.emit("command_result", huge)
    assert agent.next("error")["code"] == "PAYLOAD_TOO_LARGE"
    command.refresh_from_db()  # pushed to the agent with Redis (delivered), never answered
    assert command.status in ("queued", "delivered") and command.result is None
    assert agent.client.connected  # refused events, not a dropped agent


def test_a_result_for_another_sites_command_is_refused(asgi_server, agents):
    mine, key = registered_site(neopro_fleet())
    theirs, _ = registered_site(neopro_fleet())
    command = command_create(device=theirs, type="reboot")
    agent = agents(asgi_server())
    agent.authenticate(str(mine.pk), key)
    agent.client.emit("command_result", {"commandId": str(command.pk), "status": "success"})
    assert agent.next("error")["code"] == "COMMAND_NOT_FOUND"
    command.refresh_from_db()
    assert command.status == "queued"


def test_silent_sockets_are_dropped_and_chatty_ones_throttled(asgi_server, agents):
    site, key = registered_site(neopro_fleet())
    url = asgi_server(RELAIS_SOCKETIO_AUTH_TIMEOUT="0.5", RELAIS_SOCKETIO_EVENTS_PER_MINUTE="5")
    silent = agents(url)
    silent.next("disconnect", timeout=5)

    chatty = agents(url)
    chatty.authenticate(str(site.pk), key)  # event 1
    for _ in range(5):
        chatty.client.emit("heartbeat", _beat(str(site.pk)))
    assert chatty.next("error")["code"] == "THROTTLED"
    for _ in range(6):
        chatty.client.emit("heartbeat", _beat(str(site.pk)))
    chatty.next("disconnect")
    counters = requests.get(f"{url}/api/v1/health", timeout=5).json()["socketio"]["counters"]
    assert counters["dropped.unauthenticated"] == 1 and counters["throttled"] >= 1


def test_oversized_messages_close_the_socket(asgi_server, agents):
    site, key = registered_site(neopro_fleet())
    agent = agents(asgi_server(RELAIS_SOCKETIO_MAX_MESSAGE_BYTES="10000"))
    agent.authenticate(str(site.pk), key)
    agent.client.emit("heartbeat", {"siteId": str(site.pk), "blob": "x" * 20_000})
    agent.next("disconnect")
    assert not DeviceCommand.objects.exists()


@pytest.mark.skipif(not settings.REDIS_URL, reason="emitting across processes needs REDIS_URL")
def test_commands_reach_a_socket_held_by_another_process(asgi_server, agents):
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    holder, other = asgi_server(), asgi_server()
    agent = agents(holder)
    agent.authenticate(str(site.pk), key)
    body = {"device": str(site.pk), "type": "get_logs", "data": {"service": "neopro-app"}}
    created = requests.post(
        f"{other}/api/v1/manage/device-commands/",
        json=body,
        headers=_staff_token(fleet),
        timeout=10,
    )
    assert created.status_code == 201
    command = agent.next("command")
    assert command["id"] == created.json()["id"]
    assert command["data"] == {"service": "neopro-app", "lines": 100}
    # And from this process (a Celery task or the admin would do the same).
    later = command_create(device=site, type="reboot")
    assert agent.next("command")["id"] == str(later.pk)


# --- ITStock: register-device and force-update, with the npm socket.io-client ------------


def _node_client(url, license_key, hardware_id, mode="auth"):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "socket.io-client").exists():
        pytest.skip("socket.io-client is not installed: run `npm ci` in tests/node")
    process = subprocess.Popen(
        [node, str(NODE_DIR / "itstock_client.js"), url, license_key, hardware_id, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process


def _lines(process, until: str, timeout: float = 15.0) -> list[dict]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        try:
            seen.append(json.loads(line))
        except ValueError:
            seen.append({"event": "output", "data": line})
            continue
        if seen[-1]["event"] == until:
            return seen
    raise AssertionError(f"no {until!r} from the node client: {seen}")


def test_itstock_force_update_reaches_only_the_devices_room(asgi_server, local_storage):
    license = LicenseFactory()
    device = DeviceFactory(license=license, platform="windows-x86_64")
    # The same hardware id in another tenant's fleet, listening with its own key.
    stranger = DeviceFactory(hardware_id=device.hardware_id, platform="windows-x86_64")
    stranger.product = license.product
    stranger.save()
    release = published_release(product=license.product, version="1.1.0")
    url = asgi_server()
    ours = _node_client(url, license.key, device.hardware_id)
    theirs = _node_client(url, stranger.license.key, device.hardware_id)
    try:
        registered = _lines(ours, "registered")[-1]["data"]
        assert registered == {"ok": True, "hardwareId": device.hardware_id}
        _lines(theirs, "registered")

        # "Force the update" (a forced rollout at 100 %) on these devices, over the API.
        staff = api_token_create(user=_platform_admin()).token
        forced = requests.post(
            f"{url}/api/v1/manage/rollouts/",
            json={"release": str(release.pk), "forced": True, "target_devices": [str(device.pk)]},
            headers={"Authorization": f"Bearer {staff}"},
            timeout=10,
        )
        assert forced.status_code == 201, forced.text
        update = _lines(ours, "force-update")[-1]["data"]
        artifact = release.artifacts.get()
        assert update["version"] == "1.1.0" and update["mandatory"] is True
        # The server's storage is the environment's: the download route on local files, a
        # presigned URL of the artifact on S3 (CI's second run).
        download = update["downloadUrl"]
        assert download == f"{url}/api/v1/updates/download/{artifact.pk}" or (
            "X-Amz-Signature=" in download
            and download.split("?")[0].endswith(f"/{artifact.filename}")
        ), download
        time.sleep(1)
    finally:
        ours.terminate()
        theirs.terminate()
    rest, _ = theirs.communicate(timeout=10)
    assert "force-update" not in rest


def test_itstock_refusals(asgi_server):
    license = LicenseFactory()
    device = DeviceFactory(license=license)
    url = asgi_server()
    bad_key = _node_client(url, "AAAAAAAA-AAAAAAAA-AAAAAAAA-AAAAAAAA", device.hardware_id)
    refused = _lines(bad_key, "connect_error")[-1]["data"]
    assert refused == {"code": "NOT_FOUND", "message": "Invalid license key."}, refused
    bad_key.terminate()
    foreign = DeviceFactory()  # another fleet's hardware id, with our key
    probing = _node_client(url, license.key, foreign.hardware_id)
    try:
        error = _lines(probing, "error")[-1]["data"]
        assert error["code"] == "DEVICE_NOT_ACTIVATED" and error["event"] == "register-device"
    finally:
        probing.terminate()
        probing.communicate(timeout=10)


@pytest.mark.parametrize("mode", ["query", "header", "event"])
def test_itstock_seed_registration_then_a_progressive_forced_rollout_pushes_each_stage(
    asgi_server, shared_files, mode
):
    """The seed's `register-device` (its hardware id alone, the key where the client can
    put it), then a forced rollout at 50 % then 100 %: each device hears `force-update`
    when it enters the cohort, with what it needs to download and verify."""
    license = LicenseFactory(max_devices=None)
    release = published_release(product=license.product, version="1.1.0")  # in shared_files
    first, later = _inside_and_outside(license, release, 50)
    url = asgi_server(**shared_files)
    clients = {d: _node_client(url, license.key, d.hardware_id, mode) for d in (first, later)}
    staff = {"Authorization": f"Bearer {api_token_create(user=_platform_admin()).token}"}
    try:
        for device, client in clients.items():
            registered = _lines(client, "registered")[-1]["data"]
            assert registered == {"ok": True, "hardwareId": device.hardware_id}
        body = {
            "release": str(release.pk),
            "forced": True,
            "stages": [{"percent": 50, "holdMinutes": 60}, {"percent": 100, "holdMinutes": 0}],
        }
        started = requests.post(
            f"{url}/api/v1/manage/rollouts/", json=body, headers=staff, timeout=10
        )
        assert started.status_code == 201, started.text
        update = _lines(clients[first], "force-update")[-1]["data"]
        artifact = release.artifacts.get()
        assert update["version"] == "1.1.0" and update["mandatory"] is True
        assert update["checksum"] == artifact.sha256 and update["size"] == artifact.size
        assert update["downloadUrl"] == f"{url}/api/v1/updates/download/{artifact.pk}"
        # What the seed's client does next, with nothing but the push and its key.
        key = {"Authorization": f"Bearer {license.key}"}
        downloaded = requests.get(update["downloadUrl"], headers=key, timeout=10)
        assert downloaded.status_code == 200, downloaded.text[:300]
        assert hashlib.sha256(downloaded.content).hexdigest() == update["checksum"]
        report = {"sessionId": update["sessionId"], "status": "DOWNLOADED"}
        reported = requests.post(
            f"{url}/api/v1/updates/status", json=report, headers=key, timeout=10
        )
        assert reported.status_code == 200, reported.text

        advanced = requests.post(
            f"{url}/api/v1/manage/rollouts/{started.json()['id']}/advance/",
            headers=staff,
            timeout=10,
        )
        assert advanced.status_code == 200, advanced.text
        assert _lines(clients[later], "force-update")[-1]["data"]["version"] == "1.1.0"
        time.sleep(1)
    finally:
        for client in clients.values():
            client.terminate()
    rest, _ = clients[first].communicate(timeout=10)
    assert "force-update" not in rest  # told once, at 50 %


def test_itstock_seed_registration_without_a_key_is_refused(asgi_server):
    device = DeviceFactory()
    probing = _node_client(asgi_server(), "", device.hardware_id, "none")
    try:
        error = _lines(probing, "error")[-1]["data"]
        assert error["code"] == "NOT_AUTHENTICATED" and error["event"] == "register-device"
    finally:
        probing.terminate()
        probing.communicate(timeout=10)


@pytest.mark.skipif(not settings.REDIS_URL, reason="a worker reaches sockets through Redis")
def test_a_scheduled_forced_rollout_started_by_beat_pushes_to_a_connected_crm(
    asgi_server, local_storage, start_worker, worker_broker
):
    license = LicenseFactory()
    device = DeviceFactory(license=license)
    release = published_release(product=license.product, version="2.0.0")
    url = asgi_server()
    client = _node_client(url, license.key, device.hardware_id, "query")
    try:
        _lines(client, "registered")
        start_at = timezone.now() + timedelta(seconds=3)
        rollout = rollout_start(release=release, forced=True, start_at=start_at)
        assert rollout.status == "scheduled"
        process, log = start_worker(RELAIS_ROLLOUT_TICK_SECONDS="0.5")
        update = _lines(client, "force-update", timeout=60)[-1]["data"]
        assert update["version"] == "2.0.0" and update["sessionId"]
        assert process.poll() is None, log.read_text()
    finally:
        client.terminate()
        client.communicate(timeout=10)


def _inside_and_outside(license, release, percent):
    """Two devices of `license`: one in the release's cohort at `percent`, one not."""
    inside = outside = None
    while inside is None or outside is None:
        device = DeviceFactory(license=license)
        if in_cohort(release.pk, device.pk, percent):
            inside = inside or device
        else:
            outside = outside or device
    return inside, outside


def _platform_admin():
    from licensing.tests.factories import UserFactory

    return UserFactory(is_superuser=True)


def test_authenticating_again_as_another_site_leaves_the_first(asgi_server, agents):
    fleet = neopro_fleet()
    (first, first_key), (second, second_key) = registered_site(fleet), registered_site(fleet)
    url = asgi_server()
    agent = agents(url)
    agent.authenticate(str(first.pk), first_key)
    agent.authenticate(str(second.pk), second_key)
    command_create(device=first, type="reboot")
    heartbeat = _beat(str(second.pk))
    assert agent.client.call("heartbeat", heartbeat, timeout=10) == {"ok": True}
    health = requests.get(f"{url}/api/v1/health", timeout=5).json()["socketio"]
    assert health["authenticatedSites"] == 1
    assert DeviceCommand.objects.get().status == "queued"  # the first site's, not pushed here
