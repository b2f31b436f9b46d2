"""The device page answers an operator's questions: license and seat, update history,
telemetry and alerts (telemetry's section), commands (commands' section); tenant staff open
only their tenant's devices."""

import pytest

from commands.services import command_complete, command_create
from devices.tests.factories import DeviceFactory
from licensing.tests.factories import TenantFactory, UserFactory
from licensing.tests.tenancy import staff_of
from releases.models import UpdateSession
from releases.services.sessions import session_id
from releases.tests.factories import published_release

pytestmark = pytest.mark.django_db


def test_device_page_sections(client, settings):
    device = DeviceFactory(hardware_id="HW-PAGE-1", app_version="1.0.0")
    release = published_release(product=device.product, version="1.1.0")
    UpdateSession.objects.create(
        id=session_id(device.pk, release.pk),
        device=device,
        release=release,
        from_version="1.0.0",
        to_version="1.1.0",
        status="FAILED",
        error="Installer exited with 1603",
    )
    device.product.allowed_commands = ["restart_service"]
    device.product.save()
    command = command_create(device=device, type="restart_service", data={"service": "neopro-app"})
    command_complete(device=device, command_id=command.pk, status="success", result={"ok": 1})
    client.force_login(UserFactory(is_superuser=True))
    html = client.get(f"/admin/devices/device/{device.pk}/change/").content.decode()
    for section in ("device-license", "device-updates", "device-telemetry", "device-commands"):
        assert f'id="{section}"' in html, section
    assert "1.0.0 → 1.1.0" in html and "Installer exited with 1603" in html
    seats = device.license.max_devices or "∞"
    assert f"1 of {seats} seats in use" in html
    assert 'data-status="succeeded"' in html and "restart_service" in html
    # Sections come in their order: license and updates, telemetry, commands.
    assert (
        html.index("device-updates")
        < html.index("device-telemetry")
        < html.index("device-commands")
    )


def test_tenant_staff_open_only_their_devices(client):
    ours, theirs = TenantFactory(), TenantFactory()
    mine = DeviceFactory(license__tenant=ours)
    foreign = DeviceFactory(license__tenant=theirs, hardware_id="FOREIGN-HW")
    from devices.models import Device

    client.force_login(staff_of(ours, Device))
    assert client.get(f"/admin/devices/device/{mine.pk}/change/").status_code == 200
    response = client.get(f"/admin/devices/device/{foreign.pk}/change/", follow=True)
    assert "FOREIGN-HW" not in response.content.decode()


def test_release_page_shows_rollouts_sessions_and_artifacts(client):
    from releases.services.rollouts import rollout_start

    device = DeviceFactory()
    release = published_release(product=device.product, version="2.0.0")
    rollout = rollout_start(release=release, stages=[{"percent": 10}, {"percent": 100}])
    UpdateSession.objects.create(
        id=session_id(device.pk, release.pk),
        device=device,
        release=release,
        to_version="2.0.0",
        status="COMPLETED",
    )
    client.force_login(UserFactory(is_superuser=True))
    html = client.get(f"/admin/releases/release/{release.pk}/change/").content.decode()
    assert f"/admin/releases/rollout/{rollout.pk}/change/" in html
    assert "Completed: <strong>1</strong>" in html
    assert 'id="release-sessions"' in html and "Artifacts and signatures" in html
