"""Remote commands over HTTP: the management API queues, agents poll and answer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from commands.models import DeviceCommand
from commands.services import command_create, commands_expire
from core.models import Event
from devices.tests.factories import DeviceFactory
from devices.tests.sites import neopro_fleet, registered_site
from licensing.tests.factories import LicenseFactory, UserFactory
from releases.models import UpdateSession
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db
M = "/api/v1/manage/device-commands/"
POLL = "/api/v1/devices/commands"


def _agent(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def site(db):
    fleet = neopro_fleet()
    device, key = registered_site(fleet)
    return fleet, device, key


def _staff(fleet):
    client = APIClient()
    client.force_authenticate(fleet.staff)
    return client


def test_queue_poll_answer(site):
    fleet, device, key = site
    body = {
        "device": str(device.pk),
        "type": "deploy_video",
        "data": {
            "videoUrl": "https://server/videos/file.mp4",
            "filename": "entrainement.mp4",
            "originalName": "Entrainement passes.mp4",
            "category": "Technique",
            "subcategory": "Passes",
            "videoId": "v-1",
            "duration": 154,
        },
    }
    created = _staff(fleet).post(M, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "queued"
    command_id = created.json()["id"]

    polled = _agent(key).get(POLL)
    assert polled.status_code == 200
    [message] = polled.json()["commands"]
    assert message == {"id": command_id, "type": "deploy_video", "data": body["data"]}
    assert DeviceCommand.objects.get().status == "delivered"
    assert _agent(key).get(POLL).json()["commands"] == []  # handed out once

    answer = {"commandId": command_id, "status": "success", "result": {"path": "/videos/x"}}
    done = _agent(key).post(f"{POLL}/{command_id}/result", answer, format="json")
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    command = DeviceCommand.objects.get()
    assert command.result == {"path": "/videos/x"} and command.completed_at
    assert Event.objects.filter(type="command.succeeded").count() == 1
    again = _agent(key).post(f"{POLL}/{command_id}/result", answer, format="json")
    assert again.status_code == 200  # a repeated answer changes nothing
    assert Event.objects.filter(type="command.succeeded").count() == 1
    other = dict(answer, status="error")
    refused = _agent(key).post(f"{POLL}/{command_id}/result", other, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "COMMAND_CLOSED"


def test_a_failure_keeps_its_error(site):
    fleet, device, key = site
    command = command_create(device=device, type="restart_service", data={"service": "neopro-app"})
    answer = {"status": "error", "result": {"error": "Service introuvable"}}
    response = _agent(key).post(f"{POLL}/{command.pk}/result", answer, format="json")
    assert response.json()["status"] == "failed"
    command.refresh_from_db()
    assert command.error == "Service introuvable"
    assert Event.objects.get(type="command.failed").payload["error"] == "Service introuvable"


@pytest.mark.parametrize(
    ("type_", "data", "code"),
    [
        ("format_disk", {}, "UNKNOWN_COMMAND_TYPE"),
        ("get_system_info", {}, "COMMAND_NOT_ALLOWED"),  # known, not in the default list
        ("deploy_video", {"filename": "a.mp4"}, "VALIDATION_ERROR"),
        ("delete_video", {"filename": "../../etc/passwd", "category": "x"}, "VALIDATION_ERROR"),
        ("restart_service", {"service": "sshd"}, "VALIDATION_ERROR"),
        ("get_logs", {"service": "neopro-app", "lines": -1}, "VALIDATION_ERROR"),
        ("reboot", {"now": True}, "VALIDATION_ERROR"),
        ("update_config", {"configuration": "x" * 70_000}, "PAYLOAD_TOO_LARGE"),
    ],
)
def test_bad_commands_are_refused_and_nothing_is_written(site, type_, data, code):
    fleet, device, _key = site
    body = {"device": str(device.pk), "type": type_, "data": data}
    response = _staff(fleet).post(M, body, format="json")
    assert response.status_code in (400, 413), response.json()
    assert response.json()["code"] == code
    assert not DeviceCommand.objects.exists()
    assert not Event.objects.filter(type__startswith="command.").exists()


def test_the_products_allow_list_decides(site):
    fleet, device, key = site
    fleet.product.allowed_commands = [*fleet.product.allowed_commands, "get_system_info"]
    fleet.product.save()
    body = {"device": str(device.pk), "type": "get_system_info"}
    assert _staff(fleet).post(M, body, format="json").status_code == 201


def test_cross_tenant_refusals(site):
    fleet, device, key = site
    other_fleet = neopro_fleet()
    their_site, their_key = registered_site(other_fleet)
    # A command for another tenant's device: "does not exist", as for an invented id.
    body = {"device": str(their_site.pk), "type": "reboot"}
    response = _staff(fleet).post(M, body, format="json")
    assert response.status_code == 400 and "device" in response.json()["errors"]
    # A result for another device's command: not found, and the command is untouched.
    theirs = command_create(device=their_site, type="reboot")
    answer = {"status": "success", "result": {}}
    response = _agent(key).post(f"{POLL}/{theirs.pk}/result", answer, format="json")
    assert response.status_code == 404 and response.json()["code"] == "COMMAND_NOT_FOUND"
    theirs.refresh_from_db()
    assert theirs.status == "queued"
    assert _agent(key).get(POLL).json()["commands"] == []


def test_bad_results(site):
    fleet, device, key = site
    command = command_create(device=device, type="reboot")
    url = f"{POLL}/{command.pk}/result"
    bad_status = _agent(key).post(url, {"status": "maybe"}, format="json")
    assert bad_status.status_code == 400 and bad_status.json()["code"] == "VALIDATION_ERROR"
    huge = {"status": "success", "result": {"logs": "x" * 300_000}}
    too_big = _agent(key).post(url, huge, format="json")
    assert too_big.status_code == 413 and too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
    mismatch = {"commandId": "0b7e0000-0000-4000-8000-000000000000", "status": "success"}
    assert _agent(key).post(url, mismatch, format="json").json()["code"] == "COMMAND_MISMATCH"
    assert _agent(key).post(f"{POLL}/not-a-uuid/result", {}, format="json").status_code == 404
    command.refresh_from_db()
    assert command.status == "queued" and command.result is None


def test_a_device_token_polls_too():
    device = DeviceFactory()
    command_create(device=device, type="reboot")
    response = _agent(device.token).get(POLL)
    assert [m["type"] for m in response.json()["commands"]] == ["reboot"]


def test_cancel_and_expiry(site):
    fleet, device, key = site
    command = command_create(device=device, type="reboot")
    response = _staff(fleet).post(f"{M}{command.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert _staff(fleet).post(f"{M}{command.pk}/cancel/").status_code == 409
    old = command_create(device=device, type="reboot", ttl=60)
    fresh = command_create(device=device, type="reboot")
    assert commands_expire(now=timezone.now() + timedelta(seconds=61)) == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("expired", "queued")
    assert Event.objects.filter(type="command.expired").count() == 1
    assert commands_expire(now=timezone.now() + timedelta(seconds=61)) == 0
    late = _agent(key).post(f"{POLL}/{old.pk}/result", {"status": "success"}, format="json")
    assert late.status_code == 409


def test_commands_for_a_deactivated_device_are_refused(site):
    from devices.services.devices import device_deactivate

    fleet, device, key = site
    device_deactivate(device=device)
    response = _staff(fleet).post(M, {"device": str(device.pk), "type": "reboot"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "DEVICE_INACTIVE"


@pytest.mark.parametrize(
    ("answer", "session_status", "version"),
    [
        ({"status": "success", "result": {}}, "COMPLETED", "2.1.3"),
        ({"status": "error", "result": {"error": "health check"}}, "FAILED", "1.0.0"),
        (
            {"status": "error", "result": {"error": "health check", "rolledBack": True}},
            "ROLLED_BACK",
            "1.0.0",
        ),
    ],
)
def test_update_software_from_a_release_is_the_devices_update_session(
    site, local_storage, answer, session_status, version
):
    fleet, device, key = site
    device.app_version = "1.0.0"
    device.save()
    release = published_release(product=fleet.product, version="2.1.3")
    artifact = release.artifacts.get()
    body = {"device": str(device.pk), "type": "update_software", "release": str(release.pk)}
    created = _staff(fleet).post(M, body, format="json")
    assert created.status_code == 201, created.json()
    [message] = _agent(key).get(POLL).json()["commands"]
    data = message["data"]
    assert data["version"] == "2.1.3" and data["checksum"] == artifact.sha256
    assert data["updateUrl"].endswith(f"/api/v1/updates/download/{artifact.pk}")
    session = UpdateSession.objects.get(device=device, release=release)
    assert session.status == "PENDING"
    _agent(key).post(f"{POLL}/{message['id']}/result", answer, format="json")
    session.refresh_from_db()
    device.refresh_from_db()
    assert session.status == session_status and device.app_version == version


def test_update_software_needs_a_release_of_the_devices_product(site, local_storage):
    fleet, device, key = site
    other = published_release(product=LicenseFactory().product, version="9.0.0")
    body = {"device": str(device.pk), "type": "update_software", "release": str(other.pk)}
    response = _staff(fleet).post(M, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "RELEASE_NOT_AVAILABLE"
    assert not DeviceCommand.objects.exists()


def test_tenant_staff_without_the_permission_cannot_queue(site):
    fleet, device, key = site
    reader = UserFactory(tenant=fleet.tenant)
    reader.groups.clear()  # staff of the tenant, without the tenant staff role
    client = APIClient()
    client.force_authenticate(reader)
    response = client.post(M, {"device": str(device.pk), "type": "reboot"}, format="json")
    assert response.status_code == 403


def test_heartbeats_claim_only_when_something_was_queued(
    site, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from commands.services import commands_pending

    fleet, device, key = site
    commands_pending(device=device)  # whatever a registration left behind
    with django_assert_num_queries(0):
        assert commands_pending(device=device) == []
    with django_capture_on_commit_callbacks(execute=True):
        queued = command_create(device=device, type="reboot")
    assert [m["id"] for m in commands_pending(device=device)] == [str(queued.pk)]
    with django_assert_num_queries(0):
        assert commands_pending(device=device) == []
    # A flag lost with the cache is noted again by the sweep.
    with django_capture_on_commit_callbacks(execute=True):
        again = command_create(device=device, type="reboot")
    cache.clear()
    assert commands_pending(device=device) == []
    commands_expire()
    assert [m["id"] for m in commands_pending(device=device)] == [str(again.pk)]


def test_the_http_heartbeat_answer_lists_pending_commands(site, django_capture_on_commit_callbacks):
    import time

    fleet, device, key = site
    with django_capture_on_commit_callbacks(execute=True):
        queued = command_create(device=device, type="reboot")
    beat = {
        "siteId": str(device.pk),
        "timestamp": int(time.time() * 1000),
        "metrics": {"cpu": 45.2, "memory": 62.1, "temperature": 52.3, "disk": 78.5},
    }
    answer = _agent(key).post("/api/v1/devices/heartbeat", beat, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["commands"] == [{"id": str(queued.pk), "type": "reboot", "data": {}}]
    queued.refresh_from_db()
    assert queued.status == "delivered"
    again = _agent(key).post("/api/v1/devices/heartbeat", beat, format="json")
    assert again.json()["commands"] == []
