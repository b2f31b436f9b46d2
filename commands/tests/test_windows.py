"""update_software and maintenance windows, over HTTP: outside the site's window (NEOPRO's
AUTO_UPDATE_HOUR) the command stays queued while others are delivered; inside it, it is
delivered at the next poll or heartbeat. Windows are placed hours away from the real now."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from commands.models import DeviceCommand
from commands.services import command_create
from devices.services.windows import maintenance_windows_set
from devices.tests.sites import neopro_fleet, registered_site
from releases.tests.factories import published_release

from .test_services import POLL, _agent

pytestmark = pytest.mark.django_db


def _site_hour(site, hours_from_now: int):
    """The site's AUTO_UPDATE_HOUR, `hours_from_now` hours from now (UTC)."""
    hour = (datetime.now(UTC) + timedelta(hours=hours_from_now)).hour
    window = {"site": str(site.pk), "autoUpdateEnabled": True, "autoUpdateHour": hour}
    maintenance_windows_set(tenant=site.tenant, windows=[window])


def test_update_software_waits_for_the_sites_window(
    local_storage, django_capture_on_commit_callbacks
):
    fleet = neopro_fleet()
    site, key = registered_site(fleet)
    release = published_release(product=fleet.product, version="2.1.3")
    _site_hour(site, 3)
    with django_capture_on_commit_callbacks(execute=True):
        update = command_create(device=site, type="update_software", release=release)
        reboot = command_create(device=site, type="reboot")
    polled = _agent(key).get(POLL).json()["commands"]
    assert [m["id"] for m in polled] == [str(reboot.pk)]
    update.refresh_from_db()
    assert update.status == DeviceCommand.Status.QUEUED
    beat = {"siteId": str(site.pk), "timestamp": int(time.time() * 1000), "metrics": {}}
    answer = _agent(key).post("/api/v1/devices/heartbeat", beat, format="json")
    assert answer.json()["commands"] == []  # still outside: asked again, held again

    _site_hour(site, 0)  # the window is now
    answer = _agent(key).post("/api/v1/devices/heartbeat", beat, format="json")
    assert [m["id"] for m in answer.json()["commands"]] == [str(update.pk)]
    update.refresh_from_db()
    assert update.status == DeviceCommand.Status.DELIVERED
