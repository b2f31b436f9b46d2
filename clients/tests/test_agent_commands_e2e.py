"""The agent's other channels against a running Relais (uvicorn): commands pushed over
Socket.IO to a NEOPRO site, the signed offline license file, and the CLI."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from relais_agent import Agent, AgentConfig, VerificationError

from commands.models import DeviceCommand
from devices.tests.sites import neopro_fleet, registered_site
from licensing.services import api_token_create
from licensing.tests.factories import LicenseFactory, ProductFactory

from .relais_stack import Vendor, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pushed_command_runs_and_its_result_arrives(asgi_server, tmp_path):
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    url = asgi_server()
    restarted = []
    agent = Agent(
        AgentConfig(
            server=url,
            license_key="",
            state_dir=tmp_path / "state",
            site_id=str(site.pk),
            site_key=key,
            target=tmp_path / "app",
            allowed_commands=("restart_service", "get_logs"),
        ),
        command_handlers={
            "restart_service": lambda data: restarted.append(data["service"]) or {"ok": True},
            "reboot": lambda data: {"rebooting": True},  # has a handler, not allowed here
        },
    )
    channel = agent.command_channel()
    assert channel.start(timeout=20)
    staff = {"Authorization": f"Bearer {api_token_create(user=fleet.staff).token}"}

    def send(kind, data):
        created = requests.post(
            f"{url}/api/v1/manage/device-commands/",
            json={"device": str(site.pk), "type": kind, "data": data},
            headers=staff,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        return created.json()["id"]

    try:
        ran = send("restart_service", {"service": "neopro-app"})
        refused = send("reboot", {})
        done = wait_for(
            lambda: (
                set(
                    DeviceCommand.objects.filter(pk__in=[ran, refused]).values_list(
                        "status", flat=True
                    )
                )
                <= {"succeeded", "failed"}
                and DeviceCommand.objects.filter(
                    pk__in=[ran, refused], result__isnull=False
                ).count()
                == 2
            ),
            seconds=30,
        )
        assert done
    finally:
        channel.stop()
    assert restarted == ["neopro-app"]
    command = DeviceCommand.objects.get(pk=ran)
    assert command.status == "succeeded" and command.result == {"ok": True}
    command = DeviceCommand.objects.get(pk=refused)
    assert command.status == "failed" and "not allowed" in command.result["error"]


def test_the_offline_license_file_is_verified_for_this_machine(asgi_server, tmp_path):
    url = asgi_server()
    license = LicenseFactory(policy__product=ProductFactory())
    config = AgentConfig(
        server=url,
        license_key=license.key,
        state_dir=tmp_path / "state",
        hardware_id="hw-offline",
        product=license.product.slug,
        target=tmp_path / "app",
    )
    agent = Agent(config)
    agent.start()
    data = agent.license_file()
    assert data["device"]["hardwareId"] == "hw-offline"
    assert data["product"] == license.product.slug
    text = (tmp_path / "state" / "license.lic").read_text()
    other = Agent(AgentConfig(**{**config.__dict__, "hardware_id": "hw-elsewhere"}))
    with pytest.raises(VerificationError) as refused:
        other.verify_offline_license(text)
    assert refused.value.code == "DEVICE_MISMATCH"
    forged = text.replace(text.splitlines()[1][:12], "A" * 12)
    with pytest.raises(VerificationError):
        agent.verify_offline_license(forged)


def test_the_cli_updates_a_file_and_reports(asgi_server, tmp_path):
    url = asgi_server()
    license = LicenseFactory(policy__product=ProductFactory())
    Vendor.of(url).release(license.product, "2.0.0", b"new build " * 1000)
    target = tmp_path / "app.bin"
    target.write_bytes(b"old build")
    # The console script pip installed beside this interpreter (requirements-dev.txt).
    command = shutil.which("relais-agent", path=str(Path(sys.executable).parent))
    assert command, "the relais-agent package is installed (requirements-dev.txt)"
    done = subprocess.run(
        [
            *(command, "check", "--server", url, "--key", license.key),
            *("--state-dir", str(tmp_path / "state"), "--hardware-id", "hw-cli"),
            *("--version", "1.0.0", "--target", str(target)),
            *("--health-cmd", f"grep -q 'new build' {target}"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "UPDATED" and result["version"] == "2.0.0"
    assert target.read_bytes() == b"new build " * 1000
    from releases.models import UpdateSession

    assert UpdateSession.objects.get(device__hardware_id="hw-cli").status == "COMPLETED"


def test_commands_come_with_the_heartbeat_to_a_polling_agent(asgi_server, tmp_path):
    from devices.models import Device
    from licensing.tests.factories import UserFactory

    url = asgi_server()
    license = LicenseFactory(policy__product=ProductFactory())
    agent = Agent(
        AgentConfig(
            server=url,
            license_key=license.key,
            state_dir=tmp_path / "state",
            hardware_id="hw-poll",
            target=tmp_path / "app",
            allowed_commands=("get_logs",),
        ),
        command_handlers={"get_logs": lambda data: {"lines": ["started"]}},
    )
    agent.start()
    staff = {
        "Authorization": f"Bearer {api_token_create(user=UserFactory(is_superuser=True)).token}"
    }
    device = Device.objects.get(hardware_id="hw-poll")
    created = requests.post(
        f"{url}/api/v1/manage/device-commands/",
        json={"device": str(device.pk), "type": "get_logs", "data": {"service": "neopro-app"}},
        headers=staff,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert agent.heartbeat() == 1
    command = DeviceCommand.objects.get(pk=created.json()["id"])
    assert command.status == "succeeded" and command.result == {"lines": ["started"]}
    assert agent.heartbeat() == 0  # delivered once
