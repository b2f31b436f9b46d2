"""The backoffice: "Send command: <type>" on the device list, with the type's form."""

import pytest
from django.urls import reverse

from commands.models import DeviceCommand
from devices.tests.sites import neopro_fleet, registered_site

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:devices_device_changelist")


def _post(client, action, devices, **fields):
    body = {"action": action, "_selected_action": [str(d.pk) for d in devices], **fields}
    return client.post(CHANGELIST, body)


def test_a_form_per_type_then_the_commands_are_queued(client):
    fleet = neopro_fleet()
    site, _key = registered_site(fleet)
    client.force_login(fleet.staff)
    page = _post(client, "send_deploy_video", [site])
    assert page.status_code == 200
    form = page.context["form"]
    assert {"videoUrl", "filename", "category", "subcategory", "duration"} <= set(form.fields)

    invalid = _post(client, "send_deploy_video", [site], apply="1", filename="a.mp4")
    assert invalid.status_code == 200 and invalid.context["form"].errors
    assert not DeviceCommand.objects.exists()

    fields = {
        "videoUrl": "https://server/videos/file.mp4",
        "filename": "entrainement.mp4",
        "category": "Technique",
    }
    done = _post(client, "send_deploy_video", [site], apply="1", **fields)
    assert done.status_code == 302
    command = DeviceCommand.objects.get()
    assert command.type == "deploy_video" and command.data == fields
    assert command.created_by == fleet.staff


def test_a_service_refusal_is_a_message(client):
    fleet = neopro_fleet()
    site, _key = registered_site(fleet)
    client.force_login(fleet.staff)
    response = _post(client, "send_get_system_info", [site], apply="1")
    assert response.status_code == 302
    assert not DeviceCommand.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("not allowed" in m for m in messages)


def test_another_tenants_devices_get_nothing(client):
    mine, theirs = neopro_fleet(), neopro_fleet()
    their_site, _ = registered_site(theirs)
    client.force_login(mine.staff)
    _post(client, "send_reboot", [their_site], apply="1")
    assert not DeviceCommand.objects.exists()


def test_command_list_cancels(client):
    from commands.services import command_create

    fleet = neopro_fleet()
    site, _key = registered_site(fleet)
    command = command_create(device=site, type="reboot")
    client.force_login(fleet.staff)
    url = reverse("admin:commands_devicecommand_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "cancel", "_selected_action": [str(command.pk)]})
    command.refresh_from_db()
    assert command.status == "cancelled"
